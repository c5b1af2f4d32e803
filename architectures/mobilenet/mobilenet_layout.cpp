#include "mobilenet_layout.h"

#include <utility>

namespace gear::plugins::architectures {

MobileNetV1Layout mobilenet_v1_layout() {
  // (pointwise width, depthwise stride) of the 13 blocks.
  const std::vector<std::pair<int64_t, int64_t>> blocks = {
      {64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},  {512, 2}, {512, 1},
      {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  MobileNetV1Layout layout;
  layout.groups.push_back({"stem", 32, "early"});
  for (size_t i = 0; i < blocks.size(); ++i) {
    layout.groups.push_back(
        {"block" + std::to_string(i + 1), blocks[i].first, i < 3 ? "early" : "late"});
    layout.blocks.push_back({blocks[i].second, i, i + 1});
  }
  return layout;
}

MobileNetV2Layout mobilenet_v2_layout() {
  struct Stage {
    int64_t expansion, width, blocks, stride;
  };
  const std::vector<Stage> stages = {{1, 16, 1, 1}, {6, 24, 2, 1},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                     {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  MobileNetV2Layout layout;
  layout.groups.push_back({"stem", 32});
  size_t input = 0;
  int64_t input_width = 32;
  int index = 0;
  for (size_t s = 0; s < stages.size(); ++s) {
    const Stage& stage = stages[s];
    size_t stream = 0;
    for (int64_t b = 0; b < stage.blocks; ++b, ++index) {
      InvertedBlockSpec block;
      block.stride = b == 0 ? stage.stride : 1;
      block.input = input;
      if (stage.expansion != 1) {
        block.expand = static_cast<int64_t>(layout.groups.size());
        layout.groups.push_back(
            {"block" + std::to_string(index) + ".expand", stage.expansion * input_width});
      }
      if (b == 0) {
        stream = layout.groups.size();
        layout.groups.push_back({"stage" + std::to_string(s + 1), stage.width});
      }
      block.output = stream;
      block.residual = b > 0;
      layout.blocks.push_back(block);
      input = stream;
      input_width = stage.width;
    }
  }
  layout.head = layout.groups.size();
  layout.groups.push_back({"head", 1280});
  return layout;
}

}  // namespace gear::plugins::architectures
