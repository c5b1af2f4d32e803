#pragma once

/// @file
/// The VGG network: 3x3 conv + BatchNorm + ReLU blocks, then a 1x1 conv classifier.

#include <gear/batch_split.h>
#include <gear/growable_net.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

#include "vgg_layout.h"

namespace gear::plugins::architectures {

/// VGG for small images (CIFAR-style, as in Firefly). Each conv is a channel group "conv<i>":
/// the conv's rows, its BatchNorm and the columns of the next conv (or of the classifier).
/// Any input size works: a max-pool is skipped along a dimension already of size 1, and an
/// adaptive average pool feeds the classifier. Batch-splittable: its BatchNorms go through
/// gear::batch_norm and it draws no random numbers.
class VggImpl : public GrowableNet, public BatchSplittable {
 public:
  /// `widths` has one entry per conv of `layout` (already validated by the architecture).
  VggImpl(const VggLayout& layout, const std::vector<int64_t>& widths, int64_t in_channels,
          int64_t num_classes);

  torch::Tensor forward(torch::Tensor input) override;

 private:
  void initialise();

  std::vector<torch::nn::Conv2d> convs_;
  std::vector<torch::nn::BatchNorm2d> norms_;
  std::vector<GroupTap> taps_;  ///< after each BatchNorm: the group conv<i>
  /// Where the next conv (the classifier, for the last group) reads conv<i>, after its pool.
  std::vector<GroupTap> consumed_;
  std::vector<bool> pool_after_;
  torch::nn::Conv2d classifier_{nullptr};
};

TORCH_MODULE(Vgg);

}  // namespace gear::plugins::architectures
