#include <gear/plugin.h>

#include "augmix_augmentation.h"
#include "augmix_op_transforms.h"

GEAR_PLUGIN("gear-augmix", "0.1.0", "AugMix and ERA: batched, Pillow-exact ops, JSD consistency") {
  using gear::plugins::augmentations::AugMixAugmentation;
  auto factory = [](const gear::Config& options) -> std::shared_ptr<gear::Augmentation> {
    return std::make_shared<AugMixAugmentation>(options);
  };
  r.add_augmentation<AugMixAugmentation>(
      "augmix", "AugMix: 3 chains of 1-3 ops at severity 3, JSD with lambda 12",
      AugMixAugmentation::schema(gear::plugins::augmentations::AugMixOptions{}), factory);
  r.add_augmentation<AugMixAugmentation>(
      "era",
      "ERA (GEARnn): AugMix with one chain of 3 ops at severity 4, one augmented view, no JSD "
      "(jsd = true for the consistency loss)",
      AugMixAugmentation::schema(gear::plugins::augmentations::era_options()), factory);
  r.add<gear::ImageTransforms, gear::plugins::augmentations::AugMixOpTransforms>(
      "augmix_ops", "AugMix's 13 operations by name at a magnitude (gear.ops)");
}
