#include <gear/plugin.h>

#include "fashion_mnist.h"

GEAR_PLUGIN("gear-fashion-mnist", "0.1.0", "Fashion-MNIST from its IDX files, plain or gzip") {
  r.add_dataset<gear::plugins::datasets::FashionMnist>(
      "fashion-mnist", "Zalando's Fashion-MNIST: 60000 + 10000 grey 28x28 images, 10 classes");
}
