#pragma once

/// @file
/// The standard VGG configurations (Simonyan & Zisserman, table 1, columns A, B, D, E).

#include <cstdint>
#include <vector>

namespace gear::plugins::architectures {

/// The conv stack of one VGG depth: one entry per 3x3 conv layer.
struct VggLayout {
  /// Output channels of each conv in the full-size model.
  std::vector<int64_t> widths;
  /// Whether a 2x2 max-pool follows each conv.
  std::vector<bool> pool_after;
};

/// The layout of VGG-`depth`; throws std::invalid_argument unless depth is 11, 13, 16 or 19.
VggLayout vgg_layout(int depth);

}  // namespace gear::plugins::architectures
