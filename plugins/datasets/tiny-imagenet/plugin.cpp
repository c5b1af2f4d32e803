#include <gear/plugin.h>

#include "tiny_imagenet.h"

GEAR_PLUGIN("gear-tiny-imagenet", "0.2.0", "Tiny ImageNet (tiny-imagenet-200) from its JPEGs") {
  r.add_dataset<gear::plugins::datasets::TinyImageNet>(
      "tiny-imagenet",
      "Tiny ImageNet: 100000 + 10000 (val) RGB 64x64 images, 200 classes; decoded once, cached");
}
