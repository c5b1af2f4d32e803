#pragma once

/// @file
/// The 15 common corruptions of CIFAR-10-C / Tiny-ImageNet-C (Hendrycks & Dietterich), generated
/// on the fly for whole batches. Parameters follow hendrycks/robustness make_cifar_c.py (32 px)
/// and make_tinyimagenet_c.py (64 px); other sizes use the nearer table with its spatial
/// quantities scaled to the image size. README.md beside this file lists every parameter and
/// every deviation from the reference.

#include <torch/types.h>

#include <string>
#include <vector>

namespace gear::plugins::corruptions {

/// gaussian_noise, shot_noise, impulse_noise, defocus_blur, glass_blur, motion_blur, zoom_blur,
/// snow, frost, fog, brightness, contrast, elastic_transform, pixelate, jpeg_compression: the
/// reference's order and names.
const std::vector<std::string>& names();

/// Corrupts uint8 `images` [N, C, H, W] (C = 1 or 3, any device) at `severity` 1..5. Every
/// random number comes from `generator` (of the images' device type), so results repeat; the
/// work runs on the CPU (per-image loops parallel over images) and the result returns to the
/// images' device as uint8 of the same shape, truncated as the reference's np.uint8 does. Throws
/// std::invalid_argument naming the bad argument.
torch::Tensor corrupt(const std::string& name, const torch::Tensor& images, int severity,
                      torch::Generator& generator);

}  // namespace gear::plugins::corruptions
