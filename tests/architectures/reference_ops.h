#pragma once

/// @file
/// Torch's functional ops on a net's own modules, looked up by name, for the architecture tests
/// that check a plugin's training forward and gradients against its definition.

#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gear/host/memory_format.h"
#include "test_support.h"

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

/// A training-mode `architecture` at width 0.125 for 1x28x28 inputs, in double (so that a
/// difference is a mistake, not float rounding through the layers), and a batch of 6 for it;
/// both channels-last when asked.
struct DoubleNet {
  std::shared_ptr<GrowableNet> net;
  torch::Tensor input;
};

inline DoubleNet double_net(const std::string& architecture, bool channels_last) {
  DoubleNet d{gear::test::build_net(architecture, {1, 28, 28}, 0.125),
              torch::randn({6, 1, 28, 28}, torch::kDouble)};
  d.net->train();
  d.net->to(torch::kDouble);
  if (channels_last) {
    host::apply_memory_format(*d.net, true);
    d.input = d.input.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  return d;
}

/// Expects the plugin's logits `got` and the definition's `want` (both computed from `net`'s
/// parameters, with graph) equal within 1e-10, and the cross-entropy gradient of every parameter
/// within 1e-8 of the largest entry of the definition's.
inline void expect_same_training_step(torch::nn::Module& net, const torch::Tensor& got,
                                      const torch::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_LT((got - want).abs().max().item<double>(), 1e-10);
  const torch::Tensor labels = torch::randint(0, got.size(1), {got.size(0)});
  const std::vector<torch::Tensor> params = net.parameters();
  const auto got_grads =
      torch::autograd::grad({torch::nn::functional::cross_entropy(got, labels)}, params);
  const auto want_grads =
      torch::autograd::grad({torch::nn::functional::cross_entropy(want, labels)}, params);
  for (size_t i = 0; i < params.size(); ++i) {
    const double scale = want_grads[i].abs().max().item<double>() + 1e-3;
    EXPECT_LT((got_grads[i] - want_grads[i]).abs().max().item<double>() / scale, 1e-8)
        << net.named_parameters().keys()[i];
  }
}

}  // namespace gear::plugins::architectures::reference
