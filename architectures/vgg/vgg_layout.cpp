#include "vgg_layout.h"

#include <stdexcept>
#include <string>

namespace gear::plugins::architectures {
namespace {

// 0 marks a max-pool, as "M" does in the usual configuration lists.
constexpr int64_t kPool = 0;

std::vector<int64_t> configuration(int depth) {
  // One line per resolution stage.
  // clang-format off
  switch (depth) {
    case 11:
      return {64, kPool,
              128, kPool,
              256, 256, kPool,
              512, 512, kPool,
              512, 512, kPool};
    case 13:
      return {64, 64, kPool,
              128, 128, kPool,
              256, 256, kPool,
              512, 512, kPool,
              512, 512, kPool};
    case 16:
      return {64, 64, kPool,
              128, 128, kPool,
              256, 256, 256, kPool,
              512, 512, 512, kPool,
              512, 512, 512, kPool};
    case 19:
      return {64, 64, kPool,
              128, 128, kPool,
              256, 256, 256, 256, kPool,
              512, 512, 512, 512, kPool,
              512, 512, 512, 512, kPool};
    default:
      throw std::invalid_argument("VGG depth must be 11, 13, 16 or 19, got " +
                                  std::to_string(depth));
  }
  // clang-format on
}

}  // namespace

VggLayout vgg_layout(int depth) {
  VggLayout layout;
  for (int64_t entry : configuration(depth)) {
    if (entry == kPool) {
      layout.pool_after.back() = true;
    } else {
      layout.widths.push_back(entry);
      layout.pool_after.push_back(false);
    }
  }
  return layout;
}

}  // namespace gear::plugins::architectures
