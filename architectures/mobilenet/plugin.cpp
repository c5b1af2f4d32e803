#include <gear/plugin.h>

#include "mobilenet_architecture.h"

namespace {

gear::Factory<gear::Architecture> mobilenet_factory(int version) {
  return [version](const gear::Config& options) -> std::shared_ptr<gear::Architecture> {
    return std::make_shared<gear::plugins::architectures::MobileNetArchitecture>(options, version);
  };
}

}  // namespace

GEAR_PLUGIN("gear-mobilenet", "0.1.0",
            "MobileNet-V1 and -V2 for small images, growable through channel groups") {
  r.add_architecture<gear::plugins::architectures::MobileNetArchitecture>(
      "mobilenet_v1",
      "MobileNet-V1, CIFAR-style (stride-1 stem): the stem and every pointwise conv are channel "
      "groups, each depthwise conv follows its input; growth sets 'early' and 'late' as in "
      "Firefly",
      mobilenet_factory(1));
  r.add_architecture<gear::plugins::architectures::MobileNetArchitecture>(
      "mobilenet_v2",
      "MobileNet-V2, CIFAR-style: growable expansion widths, one tied residual stream per stage, "
      "the 1280-channel head",
      mobilenet_factory(2));
}
