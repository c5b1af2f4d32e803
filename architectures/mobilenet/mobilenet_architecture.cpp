#include "mobilenet_architecture.h"

#include "mobilenet_net.h"
#include "stem_stride.h"

namespace gear::plugins::architectures {

MobileNetArchitecture::MobileNetArchitecture(const Config& options, int version)
    : name_("mobilenet_v" + std::to_string(version)),
      version_(version),
      stem_stride_(options.get<int64_t>("stem_stride")),
      groups_(version == 1 ? mobilenet_v1_layout().groups : mobilenet_v2_layout().groups) {}

OptionSchema MobileNetArchitecture::schema() {
  OptionSchema schema;
  return add_stem_stride_option(schema);
}

std::vector<int64_t> MobileNetArchitecture::reference_widths(const ModelSpec& /*spec*/) const {
  std::vector<int64_t> widths;
  for (const auto& g : groups_) widths.push_back(g.width);
  return widths;
}

std::shared_ptr<GrowableNet> MobileNetArchitecture::build(const ModelSpec& spec) const {
  std::vector<std::string> names;
  for (const auto& g : groups_) names.push_back(g.name);
  std::vector<int64_t> widths = resolve_widths(name_, spec, reference_widths(spec), names);
  const auto& shape = spec.input_shape;
  const int64_t stride = stem_stride_for(stem_stride_, shape[1], shape[2]);
  if (version_ == 1)
    return MobileNetV1(mobilenet_v1_layout(), widths, shape[0], spec.num_classes, stride).ptr();
  return MobileNetV2(mobilenet_v2_layout(), widths, shape[0], spec.num_classes, stride).ptr();
}

}  // namespace gear::plugins::architectures
