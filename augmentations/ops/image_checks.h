#pragma once

/// @file
/// The argument check every batched image op starts with.

#include <torch/types.h>

#include <stdexcept>
#include <string>

namespace gear::plugins::augmentations::ops {

/// Throws std::invalid_argument naming `op` unless `images` is uint8 [N, C, H, W].
inline void check_uint8_images(const torch::Tensor& images, const std::string& op) {
  if (images.dim() != 4 || images.scalar_type() != torch::kUInt8)
    throw std::invalid_argument(op + ": expected uint8 images [N, C, H, W], got " +
                                std::string(c10::toString(images.scalar_type())) + " with " +
                                std::to_string(images.dim()) + " dimensions");
}

}  // namespace gear::plugins::augmentations::ops
