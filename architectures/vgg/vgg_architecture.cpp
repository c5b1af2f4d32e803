#include "vgg_architecture.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "vgg_net.h"

namespace gear {

VggArchitecture::VggArchitecture(const Config& /*options*/, int depth)
    : name_("vgg" + std::to_string(depth)), layout_(vgg_layout(depth)) {}

std::vector<int64_t> VggArchitecture::reference_widths(const ModelSpec& /*spec*/) const {
  return layout_.widths;
}

std::vector<int64_t> VggArchitecture::resolve_widths(const ModelSpec& spec) const {
  const size_t expected = layout_.widths.size();
  if (spec.widths.empty()) {
    if (!std::isfinite(spec.width) || spec.width <= 0) {
      std::ostringstream message;
      message << name_ << ": width multiplier must be positive, got " << spec.width;
      throw std::invalid_argument(message.str());
    }
    return scale_widths(layout_.widths, spec.width);
  }
  if (spec.widths.size() != expected)
    throw std::invalid_argument(name_ + ": expected " + std::to_string(expected) +
                                " widths (one per conv layer, conv0..conv" +
                                std::to_string(expected - 1) + "), got " +
                                std::to_string(spec.widths.size()));
  for (size_t i = 0; i < expected; ++i) {
    if (spec.widths[i] <= 0)
      throw std::invalid_argument(name_ + ": width of conv" + std::to_string(i) +
                                  " must be positive, got " + std::to_string(spec.widths[i]));
  }
  return spec.widths;
}

std::shared_ptr<GrowableNet> VggArchitecture::build(const ModelSpec& spec) const {
  const auto& shape = spec.input_shape;
  if (shape.size() != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0)
    throw std::invalid_argument(name_ + ": input shape must be [C, H, W] with positive sizes");
  if (spec.num_classes <= 0)
    throw std::invalid_argument(name_ + ": num_classes must be positive, got " +
                                std::to_string(spec.num_classes));
  return Vgg(layout_, resolve_widths(spec), shape[0], spec.num_classes).ptr();
}

}  // namespace gear
