#pragma once

/// @file
/// Pillow's point operations (ImageOps), batched: each builds one 256-entry lookup table per
/// sample and channel, and apply_lut maps every pixel through its table in one gather.

#include <torch/types.h>

namespace gear::plugins::augmentations::ops {

/// 256-bin histograms, int64 [N, C, 256], of uint8 images [N, C, H, W].
torch::Tensor channel_histograms(const torch::Tensor& images);

/// Maps uint8 `images` [N, C, H, W] through `luts` (integer [N, C, 256]; values are clamped to
/// [0, 255] as Pillow's point() does).
torch::Tensor apply_lut(const torch::Tensor& images, const torch::Tensor& luts);

/// ImageOps.autocontrast(cutoff=0) tables from histograms [N, C, 256]: stretch [lo, hi] to
/// [0, 255] with int(i * scale + offset), identity when a channel has one value.
torch::Tensor autocontrast_luts(const torch::Tensor& histograms);
/// ImageOps.equalize tables: step = (count - count of the last used bin) // 255, then
/// lut[i] = (step // 2 + pixels below i) // step; identity when step is 0.
torch::Tensor equalize_luts(const torch::Tensor& histograms);
/// ImageOps.posterize tables keeping the top `bits` (integer [N], 1..8) of every channel.
torch::Tensor posterize_luts(const torch::Tensor& bits, int64_t channels);
/// ImageOps.solarize tables: values >= `threshold` (integer [N]) are inverted.
torch::Tensor solarize_luts(const torch::Tensor& threshold, int64_t channels);

/// Convenience wrappers: one op on a whole batch.
torch::Tensor autocontrast(const torch::Tensor& images);
torch::Tensor equalize(const torch::Tensor& images);
torch::Tensor posterize(const torch::Tensor& images, const torch::Tensor& bits);
torch::Tensor solarize(const torch::Tensor& images, const torch::Tensor& threshold);

}  // namespace gear::plugins::augmentations::ops
