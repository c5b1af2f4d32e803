#pragma once

/// @file
/// The corruption functions, grouped by family. Each takes float images in [0, 1]
/// [N, C, H, W] on the CPU, a severity 1..5 and a CPU generator, and returns float images
/// in [0, 255] (before truncation), as the reference functions do.

#include <torch/types.h>

namespace gear::plugins::corruptions {

torch::Tensor gaussian_noise(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor shot_noise(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor impulse_noise(const torch::Tensor& x, int severity, torch::Generator& g);

torch::Tensor defocus_blur(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor glass_blur(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor motion_blur(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor zoom_blur(const torch::Tensor& x, int severity, torch::Generator& g);

torch::Tensor snow(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor frost(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor fog(const torch::Tensor& x, int severity, torch::Generator& g);

torch::Tensor brightness(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor contrast(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor elastic_transform(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor pixelate(const torch::Tensor& x, int severity, torch::Generator& g);
torch::Tensor jpeg_compression(const torch::Tensor& x, int severity, torch::Generator& g);

/// True for 64 px and larger images: the Tiny-ImageNet-C parameter table applies.
inline bool large(const torch::Tensor& x) { return x.size(3) >= 48; }
/// The reference table's image size (32 or 64) for `x`.
inline double table_size(const torch::Tensor& x) { return large(x) ? 64.0 : 32.0; }
/// x's width over its table's size: spatial parameters are scaled by this.
inline double spatial_scale(const torch::Tensor& x) {
  return static_cast<double>(x.size(3)) / table_size(x);
}

}  // namespace gear::plugins::corruptions
