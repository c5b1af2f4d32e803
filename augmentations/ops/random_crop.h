#pragma once

/// @file
/// Batched random crop: every sample gets its own offset, with no per-image loop.

#include <torch/types.h>

#include <cstdint>

namespace gear {

/// Zero-pads `images` [N, C, H, W] by `padding` on each side and cuts an H x W window from each
/// sample at offsets drawn uniformly from [0, 2 * padding] (rows first, then columns).
torch::Tensor random_crop(const torch::Tensor& images, int64_t padding,
                          torch::Generator& generator);

/// The same crop with given offsets `dy`, `dx` (int64 [N], on the images' device).
torch::Tensor crop_at(const torch::Tensor& images, int64_t padding, const torch::Tensor& dy,
                      const torch::Tensor& dx);

}  // namespace gear
