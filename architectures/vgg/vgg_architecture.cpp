#include "vgg_architecture.h"

#include <string>

#include "vgg_net.h"

namespace gear::plugins::architectures {

VggArchitecture::VggArchitecture(const Config& /*options*/, int depth)
    : name_("vgg" + std::to_string(depth)), layout_(vgg_layout(depth)) {}

std::vector<int64_t> VggArchitecture::reference_widths(const ModelSpec& /*spec*/) const {
  return layout_.widths;
}

std::shared_ptr<GrowableNet> VggArchitecture::build(const ModelSpec& spec) const {
  std::vector<std::string> groups;
  for (size_t i = 0; i < layout_.widths.size(); ++i) groups.push_back("conv" + std::to_string(i));
  std::vector<int64_t> widths = resolve_widths(name_, spec, layout_.widths, groups);
  return Vgg(layout_, widths, spec.input_shape[0], spec.num_classes).ptr();
}

}  // namespace gear::plugins::architectures
