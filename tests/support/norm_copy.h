#pragma once

#include <torch/nn/modules/batchnorm.h>

namespace gear::test {

/// A second BatchNorm2d with `norm`'s options, dtype, parameters and buffers (copies), to run
/// the same norm two ways and compare.
inline torch::nn::BatchNorm2d copy_of_norm(const torch::nn::BatchNorm2d& norm) {
  torch::nn::BatchNorm2d copy(norm->options);
  copy->to(norm->weight.scalar_type());
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < norm->parameters().size(); ++i)
    copy->parameters()[i].copy_(norm->parameters()[i]);
  for (size_t i = 0; i < norm->buffers().size(); ++i) copy->buffers()[i].copy_(norm->buffers()[i]);
  return copy;
}

}  // namespace gear::test
