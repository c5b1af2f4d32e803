#include <gear/plugin.h>

#include "cross_entropy.h"
#include "jensen_shannon.h"
#include "stability.h"

GEAR_PLUGIN("gear-objectives", "0.1.0",
            "Training losses: cross-entropy, AugMix's JSD consistency, stability training") {
  using namespace gear::plugins::objectives;
  r.add_objective<CrossEntropy>("cross_entropy",
                                "cross-entropy with label smoothing on the first view");
  r.add_objective<JensenShannonConsistency>(
      "jsd", "AugMix: cross-entropy on the clean view + lambda * Jensen-Shannon over all views");
  r.add_objective<StabilityObjective>(
      "stability",
      "stability training: cross-entropy on the clean view + alpha * KL or JS between the "
      "outputs on the clean and a device view (or two device views)");
  r.add_objective<DeviceAugmentObjective>(
      "device_augment", "plain augmentation with the device bank: cross-entropy on a device view");
}
