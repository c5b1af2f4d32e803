#pragma once

/// @file
/// Pillow's AFFINE transform with bilinear resampling, batched over images with one matrix each.

#include <torch/types.h>

namespace gear::plugins::augmentations::ops {

/// Resamples uint8 `images` [N, C, H, W] through per-sample inverse maps `matrices` (float64
/// [N, 6] = (a, b, c, d, e, f), any device): output pixel (x, y) samples the input at
/// (a (x + 0.5) + b (y + 0.5) + c, d (x + 0.5) + e (y + 0.5) + f), as Pillow's
/// `Image.transform(size, AFFINE, data, BILINEAR)` does: points outside the image become 0,
/// neighbours at the border are clamped, and each value is truncated to uint8.
torch::Tensor affine_bilinear(const torch::Tensor& images, const torch::Tensor& matrices);

/// The same with tensor operations only (any device). affine_bilinear uses it off the CPU; tests
/// check that both agree.
torch::Tensor affine_bilinear_generic(const torch::Tensor& images, const torch::Tensor& matrices);

}  // namespace gear::plugins::augmentations::ops
