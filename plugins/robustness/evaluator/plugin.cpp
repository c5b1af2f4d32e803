#include <gear/plugin.h>

#include "corruption_evaluator.h"
#include "corruption_transforms.h"

GEAR_PLUGIN("gear-robustness", "0.1.0",
            "Corruption robustness: 15 corruptions x 5 severities, on the fly or precomputed") {
  r.add_evaluator<gear::plugins::CorruptionEvaluator>(
      "corruptions",
      "accuracy under the 15 common corruptions at severities 1-5 (generated, or CIFAR-10-C / "
      "Tiny-ImageNet-C files), mean corruption accuracy and mCE");
  r.add<gear::ImageTransforms, gear::plugins::CorruptionTransforms>(
      "corruption_ops", "the 15 corruptions by name at a severity 1-5 (gear.corrupt)");
}
