#include <gear/plugin.h>

#include "vgg_architecture.h"

namespace {

gear::Factory<gear::Architecture> vgg_factory(int depth) {
  return [depth](const gear::Config& options) -> std::shared_ptr<gear::Architecture> {
    return std::make_shared<gear::plugins::architectures::VggArchitecture>(options, depth);
  };
}

}  // namespace

GEAR_PLUGIN("gear-vgg", "0.1.0", "VGG-11/13/16/19 for small images, one channel group per conv") {
  for (int depth : {11, 13, 16, 19}) {
    const std::string name = "vgg" + std::to_string(depth);
    r.add_architecture<gear::plugins::architectures::VggArchitecture>(
        name, "VGG-" + std::to_string(depth) + " with BatchNorm, CIFAR-style 1x1 conv classifier",
        vgg_factory(depth));
  }
}
