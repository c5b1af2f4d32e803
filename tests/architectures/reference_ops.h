#pragma once

/// @file
/// Torch's functional ops on a net's own modules, looked up by name, for the architecture tests
/// that check a plugin's training forward and gradients against its definition.

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include <stdexcept>
#include <string>

namespace gear::plugins::architectures::reference {

/// The submodule `name` of `net` as an `M`; throws when there is none or it has another type.
template <typename M>
M& module_at(torch::nn::Module& net, const std::string& name) {
  const auto modules = net.named_modules();
  const auto* found = modules.find(name);
  if (found == nullptr) throw std::invalid_argument("no module " + name);
  M* typed = (*found)->as<M>();
  if (typed == nullptr) throw std::invalid_argument("module " + name + " has another type");
  return *typed;
}

inline bool has_module(torch::nn::Module& net, const std::string& name) {
  return net.named_modules().find(name) != nullptr;
}

/// The bias-free convolution `name` of `net` applied to `x` by torch::conv2d.
inline torch::Tensor conv(torch::nn::Module& net, const std::string& name, const torch::Tensor& x,
                          int64_t stride, int64_t padding) {
  return torch::conv2d(x, module_at<torch::nn::Conv2dImpl>(net, name).weight, {}, stride, padding);
}

/// The BatchNorm `name` of `net` on `x` with batch statistics (training mode, no running stats).
inline torch::Tensor norm(torch::nn::Module& net, const std::string& name, const torch::Tensor& x) {
  auto& bn = module_at<torch::nn::BatchNorm2dImpl>(net, name);
  return torch::batch_norm(x, bn.weight, bn.bias, {}, {}, /*training=*/true, 0.1, bn.options.eps(),
                           false);
}

}  // namespace gear::plugins::architectures::reference
