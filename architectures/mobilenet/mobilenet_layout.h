#pragma once

/// @file
/// The CIFAR-style MobileNet layouts (stride-1 stem) and the channel groups they declare.

#include <cstdint>
#include <string>
#include <vector>

namespace gear::plugins::architectures {

/// A channel group of a MobileNet: its name, standard width and growth budget set.
struct GroupSpec {
  std::string name;
  int64_t width = 0;
  std::string set = "default";
};

/// One depthwise-separable block of MobileNet-V1: depthwise 3x3 (stride) then pointwise 1x1.
struct SeparableBlockSpec {
  int64_t stride = 1;
  /// Group of the block's input (the previous pointwise conv or the stem) and of its output.
  size_t input = 0, output = 0;
};

/// MobileNet-V1: stem group "stem", then "block1".."block13" (each block's pointwise conv; its
/// depthwise conv follows the block's input group). Sets as in Firefly: "early" for the stem and
/// blocks 1-3, "late" for blocks 4-13, each ranked with its own budget.
struct MobileNetV1Layout {
  std::vector<GroupSpec> groups;
  std::vector<SeparableBlockSpec> blocks;
};
MobileNetV1Layout mobilenet_v1_layout();

/// One inverted-residual block of MobileNet-V2: [1x1 expand] -> depthwise 3x3 (stride) ->
/// 1x1 project, plus the input when it has the block's stride 1 and stream.
struct InvertedBlockSpec {
  int64_t stride = 1;
  /// Group of the block's input, of its expansion (-1 when the expansion factor is 1, and the
  /// depthwise conv follows the input group) and of its output stream.
  size_t input = 0;
  int64_t expand = -1;
  size_t output = 0;
  bool residual = false;
};

/// MobileNet-V2: "stem", per block "block<i>.expand" (growable expansion width), per stage the
/// residual stream "stage<k>" tying every project conv of the stage, and the 1x1 "head" before
/// the classifier. Sandler et al.'s table 2, with the CIFAR changes of stem stride 1 and stride 1
/// for the 24-channel stage.
struct MobileNetV2Layout {
  std::vector<GroupSpec> groups;
  std::vector<InvertedBlockSpec> blocks;
  size_t head = 0;
};
MobileNetV2Layout mobilenet_v2_layout();

}  // namespace gear::plugins::architectures
