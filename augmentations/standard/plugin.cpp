#include <gear/plugin.h>

#include "standard_augmentation.h"

GEAR_PLUGIN("gear-standard-augmentation", "0.1.0", "Random crop with zero padding, random flip") {
  r.add_augmentation<gear::plugins::augmentations::StandardAugmentation>(
      "standard", "batched random crop from a zero-padded image and random horizontal flip");
}
