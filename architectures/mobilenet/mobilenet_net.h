#pragma once

/// @file
/// MobileNet-V1 (Howard et al. 2017) and MobileNet-V2 (Sandler et al. 2018) for small images.

#include <gear/batch_split.h>
#include <gear/growable_net.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

#include "mobilenet_layout.h"

namespace gear::plugins::architectures {

/// Depthwise 3x3 + BN + ReLU, then pointwise 1x1 + BN + ReLU.
class SeparableBlockImpl : public torch::nn::Module {
 public:
  SeparableBlockImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d depthwise{nullptr}, pointwise{nullptr};
  torch::nn::BatchNorm2d depthwise_bn{nullptr}, pointwise_bn{nullptr};
  /// Tap of the block's own group, after pointwise_bn; consumer tap of its input group, where
  /// the pointwise conv reads it.
  GroupTap output_tap, input_read;
};
TORCH_MODULE(SeparableBlock);

/// MobileNet-V1; `widths` follows layout.groups. Batch-splittable, like MobileNet-V2: every
/// BatchNorm goes through gear::batch_norm and forward draws no random numbers.
class MobileNetV1Impl : public GrowableNet, public BatchSplittable {
 public:
  MobileNetV1Impl(const MobileNetV1Layout& layout, const std::vector<int64_t>& widths,
                  int64_t in_channels, int64_t num_classes, int64_t stem_stride);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  torch::nn::Conv2d stem_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  GroupTap stem_tap_, last_read_;  ///< last_read_: where the classifier reads the last group
  std::vector<SeparableBlock> blocks_;
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(MobileNetV1);

/// [1x1 expand + BN + ReLU6] -> depthwise 3x3 + BN + ReLU6 -> 1x1 project + BN (linear
/// bottleneck), plus the input for residual blocks.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  /// `expanded` = 0 for an expansion factor of 1 (no expand conv).
  InvertedResidualImpl(int64_t in, int64_t expanded, int64_t out, int64_t stride, bool residual);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d expand{nullptr}, depthwise{nullptr}, project{nullptr};
  torch::nn::BatchNorm2d expand_bn{nullptr}, depthwise_bn{nullptr}, project_bn{nullptr};
  bool residual;
  /// Taps of the expansion group (after expand_bn) and of the output group (after project_bn
  /// and the residual sum); consumer tap of the expansion group, where the project conv reads it.
  GroupTap expand_tap, output_tap, expand_read;
};
TORCH_MODULE(InvertedResidual);

/// MobileNet-V2; `widths` follows layout.groups. Batch-splittable.
class MobileNetV2Impl : public GrowableNet, public BatchSplittable {
 public:
  MobileNetV2Impl(const MobileNetV2Layout& layout, const std::vector<int64_t>& widths,
                  int64_t in_channels, int64_t num_classes, int64_t stem_stride);
  torch::Tensor forward(torch::Tensor input) override;

 private:
  torch::nn::Conv2d stem_{nullptr}, head_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr}, head_bn_{nullptr};
  GroupTap stem_tap_, head_tap_, head_read_;  ///< head_read_: where the classifier reads the head
  std::vector<InvertedResidual> blocks_;
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(MobileNetV2);

}  // namespace gear::plugins::architectures
