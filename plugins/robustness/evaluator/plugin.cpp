#include <gear/plugin.h>

#include "corruption_evaluator.h"

GEAR_PLUGIN("gear-robustness", "0.1.0",
            "Corruption robustness: 15 corruptions x 5 severities, on the fly or precomputed") {
  r.add_evaluator<gear::CorruptionEvaluator>(
      "corruptions",
      "accuracy under the 15 common corruptions at severities 1-5 (generated, or CIFAR-10-C / "
      "Tiny-ImageNet-C files), mean corruption accuracy and mCE");
}
