#include "resnet_architecture.h"

#include <utility>

#include "stem_stride.h"

namespace gear::plugins::architectures {

ResNetArchitecture::ResNetArchitecture(const Config& options, std::string name, ResNetLayout layout)
    : name_(std::move(name)),
      layout_(std::move(layout)),
      stem_stride_(options.get<int64_t>("stem_stride")) {}

OptionSchema ResNetArchitecture::schema() {
  OptionSchema schema;
  return add_stem_stride_option(schema);
}

std::vector<int64_t> ResNetArchitecture::reference_widths(const ModelSpec& /*spec*/) const {
  return resnet_standard_widths(layout_);
}

std::shared_ptr<GrowableNet> ResNetArchitecture::build(const ModelSpec& spec) const {
  std::vector<int64_t> widths =
      resolve_widths(name_, spec, resnet_standard_widths(layout_), resnet_group_names(layout_));
  const auto& shape = spec.input_shape;
  return ResNet(layout_, widths, shape[0], spec.num_classes,
                stem_stride_for(stem_stride_, shape[1], shape[2]))
      .ptr();
}

}  // namespace gear::plugins::architectures
