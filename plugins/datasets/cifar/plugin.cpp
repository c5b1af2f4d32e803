#include <gear/plugin.h>

#include "cifar_dataset.h"

GEAR_PLUGIN("gear-cifar", "0.2.0", "CIFAR-10 and CIFAR-100 from their binary versions") {
  r.add_dataset<gear::plugins::datasets::Cifar10>("cifar10",
                               "CIFAR-10: 50000 + 10000 RGB 32x32 images, 10 classes (binary)");
  r.add_dataset<gear::plugins::datasets::Cifar100>(
      "cifar100",
      "CIFAR-100: 50000 + 10000 RGB 32x32 images, 100 classes in 20 superclasses (binary)");
}
