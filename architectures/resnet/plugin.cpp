#include <gear/plugin.h>

#include "resnet_architecture.h"

GEAR_PLUGIN("gear-resnet", "0.1.0", "ResNet-18 for small images, growable through channel groups") {
  r.add_architecture<gear::plugins::architectures::ResNetArchitecture>(
      "resnet18",
      "ResNet-18, CIFAR-style (3x3 stem, no max-pool): each block's inner width and each "
      "stage's residual stream are channel groups",
      [](const gear::Config& options) -> std::shared_ptr<gear::Architecture> {
        return std::make_shared<gear::plugins::architectures::ResNetArchitecture>(options, "resnet18",
                                                          gear::plugins::architectures::resnet18_layout());
      });
}
