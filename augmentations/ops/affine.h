#pragma once

/// @file
/// Pillow's AFFINE transform with bilinear resampling, batched over images with one matrix each.

#include <torch/types.h>

namespace gear::ops {

/// Resamples uint8 `images` [N, C, H, W] through per-sample inverse maps `matrices` (float64
/// [N, 6] = (a, b, c, d, e, f), any device): output pixel (x, y) samples the input at
/// (a (x + 0.5) + b (y + 0.5) + c, d (x + 0.5) + e (y + 0.5) + f), as Pillow's
/// `Image.transform(size, AFFINE, data, BILINEAR)` does: points outside the image become 0,
/// neighbours at the border are clamped, and each value is truncated to uint8.
torch::Tensor affine_bilinear(const torch::Tensor& images, const torch::Tensor& matrices);

/// The same with tensor operations only (any device). affine_bilinear uses it off the CPU; tests
/// check that both agree.
torch::Tensor affine_bilinear_generic(const torch::Tensor& images, const torch::Tensor& matrices);

/// Inverse maps, float64 [N, 6] on `like`'s device, for per-sample magnitudes (any dtype, [N]):
/// Pillow's `rotate(degrees)` about the centre (counter-clockwise, no expand) of an image of
/// height `h` and width `w`.
torch::Tensor rotate_matrices(const torch::Tensor& degrees, int64_t h, int64_t w);
/// (1, s, 0, 0, 1, 0): shear along x, pivot at the top-left corner.
torch::Tensor shear_x_matrices(const torch::Tensor& factors);
/// (1, 0, 0, s, 1, 0).
torch::Tensor shear_y_matrices(const torch::Tensor& factors);
/// (1, 0, t, 0, 1, 0): output x samples input x + t, so content moves left for t > 0.
torch::Tensor translate_x_matrices(const torch::Tensor& pixels);
/// (1, 0, 0, 0, 1, t).
torch::Tensor translate_y_matrices(const torch::Tensor& pixels);

}  // namespace gear::ops
