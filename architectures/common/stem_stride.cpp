#include "stem_stride.h"

#include <algorithm>

namespace gear::plugins::architectures {

OptionSchema& add_stem_stride_option(OptionSchema& schema) {
  return schema
      .add_int("stem_stride", 0,
               "stride of the stem conv: 1 keeps CIFAR-size inputs at full resolution, 2 halves "
               "64x64 inputs (Tiny ImageNet); 0 picks 2 from 64 pixels, else 1")
      .range(0, 4);
}

int64_t stem_stride_for(int64_t option, int64_t height, int64_t width) {
  if (option > 0) return option;
  return std::min(height, width) >= 64 ? 2 : 1;
}

}  // namespace gear::plugins::architectures
