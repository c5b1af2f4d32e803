#pragma once

/// @file
/// Batched random crop: every sample gets its own offset, with no per-image loop.

#include <torch/types.h>

#include <cstdint>

namespace gear::plugins::augmentations {

/// Option value of `padding` that scales the padding with the image: see crop_padding().
constexpr int64_t kAutoPadding = -1;

/// The crop padding for the option value `option` and `images` [N, C, H, W]: the option itself,
/// or for kAutoPadding an eighth of the shorter side, rounded (4 px for 28 and 32 px images,
/// as in the CIFAR recipes, and 8 px for 64 px Tiny ImageNet images).
int64_t crop_padding(int64_t option, const torch::Tensor& images);

/// Zero-pads `images` [N, C, H, W] by `padding` on each side and cuts an H x W window from each
/// sample at offsets drawn uniformly from [0, 2 * padding] (rows first, then columns).
torch::Tensor random_crop(const torch::Tensor& images, int64_t padding,
                          torch::Generator& generator);

/// The same crop with given offsets `dy`, `dx` (int64 [N], on the images' device).
torch::Tensor crop_at(const torch::Tensor& images, int64_t padding, const torch::Tensor& dy,
                      const torch::Tensor& dx);

}  // namespace gear::plugins::augmentations
