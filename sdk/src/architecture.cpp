#include "gear/architecture.h"

#include <algorithm>
#include <cmath>

namespace gear {

std::vector<int64_t> scale_widths(const std::vector<int64_t>& standard, double multiplier) {
  std::vector<int64_t> out;
  out.reserve(standard.size());
  for (int64_t w : standard)
    out.push_back(std::max<int64_t>(1, std::llround(static_cast<double>(w) * multiplier)));
  return out;
}

}  // namespace gear
