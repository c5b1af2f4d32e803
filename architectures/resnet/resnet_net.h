#pragma once

/// @file
/// ResNet with BasicBlocks (He et al. 2016), CIFAR-style: a 3x3 stem, no max-pool.

#include <gear/batch_split.h>
#include <gear/growable_net.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gear::plugins::architectures {

/// Stages of a ResNet: blocks per stage and the stage's standard width.
struct ResNetLayout {
  std::vector<int64_t> blocks;
  std::vector<int64_t> widths;
};

/// ResNet-18's layout: 2 blocks in each of 4 stages of 64, 128, 256 and 512 channels.
ResNetLayout resnet18_layout();

/// The channel groups of a ResNet, in declaration order: per stage, first the residual stream
/// "stage<s>" (the stem or the 1x1 shortcut that opens the stage, and every block's second conv
/// and BatchNorm), then each block's inner width "stage<s>.block<b>" (its first conv and
/// BatchNorm). Stages count from 1, blocks from 0.
std::vector<std::string> resnet_group_names(const ResNetLayout& layout);

/// The standard widths in the order of resnet_group_names().
std::vector<int64_t> resnet_standard_widths(const ResNetLayout& layout);

/// conv3x3-BN-ReLU-conv3x3-BN plus the input, then ReLU. A block with stride 2 opens a stage and
/// adds its input through a strided 1x1 conv + BN (the new stage's stream); others add it as is.
/// The strided 1x1 conv runs as a subsample followed by a stride-1 1x1 conv (the same values and
/// MACs): LibTorch 1.13's backward of a strided 1x1 conv is unsafe in channels-last.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t inner, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, shortcut_bn{nullptr};
  /// Taps of the inner group (after bn1) and of the stream (the sum, before the last ReLU).
  GroupTap inner_tap, stream_tap;
  GroupTap inner_read;  ///< consumer tap of the inner group, where conv2 reads it
};
TORCH_MODULE(BasicBlock);

/// The network. `widths` follows resnet_group_names(); `stem_stride` is 1 for CIFAR-size inputs
/// and 2 for 64x64 (Tiny ImageNet), which keeps the stages at 32, 16, 8 and 4 pixels.
/// Batch-splittable: every BatchNorm goes through gear::batch_norm and forward draws no random
/// numbers.
class ResNetImpl : public GrowableNet, public BatchSplittable {
 public:
  ResNetImpl(const ResNetLayout& layout, const std::vector<int64_t>& widths, int64_t in_channels,
             int64_t num_classes, int64_t stem_stride);

  torch::Tensor forward(torch::Tensor input) override;

 private:
  torch::nn::Conv2d stem_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  GroupTap stem_tap_;
  std::vector<BasicBlock> blocks_;
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(ResNet);

}  // namespace gear::plugins::architectures
