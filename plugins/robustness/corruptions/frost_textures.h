#pragma once

/// @file
/// The frost textures of hendrycks/robustness, shrunk as the reference shrinks them and
/// embedded into the library at build time (assets/make_frost.py writes them).

#include <torch/types.h>

#include <vector>

namespace gear::plugins::corruptions {

/// The five textures at `scale_percent` (20: make_cifar_c.py's x0.2; 30: make_tinyimagenet_c's
/// x0.3), each uint8 [3, H, W] RGB. Decoded once; throws std::runtime_error if the embedded data
/// is damaged.
const std::vector<torch::Tensor>& frost_textures(int scale_percent);

}  // namespace gear::plugins::corruptions
