#pragma once

/// @file
/// Pillow's ImageEnhance operations, batched: each blends the image with a "degenerate" version
/// of itself, out = degenerate + factor (image - degenerate), with one factor per sample.

#include <torch/types.h>

namespace gear::plugins::augmentations::ops {

/// Image.blend(a, b, alpha) for uint8 [N, C, H, W] and float `alpha` [N]: computed in float32
/// and truncated to uint8 after clipping to [0, 255], as Pillow does.
torch::Tensor blend(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& alpha);

/// Pillow's RGB to L conversion, (19595 R + 38470 G + 7471 B + 2^15) >> 16, for uint8
/// [N, 3, H, W]; a 1-channel batch is returned as it is. Result [N, 1, H, W].
torch::Tensor to_grey(const torch::Tensor& images);

/// ImageEnhance.Color: blend with the grey image (identity on 1-channel images).
torch::Tensor color(const torch::Tensor& images, const torch::Tensor& factors);
/// ImageEnhance.Contrast: blend with a flat image at the rounded mean grey level.
torch::Tensor contrast(const torch::Tensor& images, const torch::Tensor& factors);
/// ImageEnhance.Brightness: blend with black.
torch::Tensor brightness(const torch::Tensor& images, const torch::Tensor& factors);
/// ImageEnhance.Sharpness: blend with ImageFilter.SMOOTH (3x3 [1 1 1; 1 5 1; 1 1 1] / 13,
/// rounded; the border rows and columns keep their values).
torch::Tensor sharpness(const torch::Tensor& images, const torch::Tensor& factors);

}  // namespace gear::plugins::augmentations::ops
