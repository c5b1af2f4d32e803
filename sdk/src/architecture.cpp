#include "gear/architecture.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace gear {

std::vector<int64_t> scale_widths(const std::vector<int64_t>& standard, double multiplier) {
  std::vector<int64_t> out;
  out.reserve(standard.size());
  for (int64_t w : standard)
    out.push_back(std::max<int64_t>(1, std::llround(static_cast<double>(w) * multiplier)));
  return out;
}

std::vector<int64_t> resolve_widths(const std::string& architecture, const ModelSpec& spec,
                                    const std::vector<int64_t>& standard,
                                    const std::vector<std::string>& group_names) {
  const auto& shape = spec.input_shape;
  if (shape.size() != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0)
    throw std::invalid_argument(architecture +
                                ": input shape must be [C, H, W] with positive sizes");
  if (spec.num_classes <= 0)
    throw std::invalid_argument(architecture + ": num_classes must be positive, got " +
                                std::to_string(spec.num_classes));
  if (spec.widths.empty()) {
    if (!std::isfinite(spec.width) || spec.width <= 0) {
      std::ostringstream message;
      message << architecture << ": width multiplier must be positive, got " << spec.width;
      throw std::invalid_argument(message.str());
    }
    return scale_widths(standard, spec.width);
  }
  if (spec.widths.size() != standard.size()) {
    std::string names;
    for (size_t i = 0; i < group_names.size() && i < 4; ++i) names += group_names[i] + ", ";
    names += group_names.size() > 4 ? "..., " + group_names.back() : "";
    if (group_names.size() <= 4 && !names.empty()) names.resize(names.size() - 2);
    throw std::invalid_argument(architecture + ": expected " + std::to_string(standard.size()) +
                                " widths, one per channel group (" + names + "), got " +
                                std::to_string(spec.widths.size()));
  }
  for (size_t i = 0; i < spec.widths.size(); ++i) {
    if (spec.widths[i] <= 0)
      throw std::invalid_argument(architecture + ": width of channel group " +
                                  (i < group_names.size() ? group_names[i] : std::to_string(i)) +
                                  " must be positive, got " + std::to_string(spec.widths[i]));
  }
  return spec.widths;
}

}  // namespace gear
