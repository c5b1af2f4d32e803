#pragma once

/// @file
/// The result of reading one corruption at one severity from a released precomputed set.

#include <torch/types.h>

namespace gear::plugins {
namespace robustness {

/// Images and labels of one (corruption, severity) pair, owned by the caller.
struct CorruptedSet {
  /// uint8 [N, C, H, W], contiguous, on the CPU.
  torch::Tensor images;
  /// int64 [N].
  torch::Tensor labels;
};

}  // namespace robustness
}  // namespace gear::plugins
