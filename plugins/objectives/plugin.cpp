#include <gear/plugin.h>

#include "cross_entropy.h"
#include "jensen_shannon.h"

GEAR_PLUGIN("gear-objectives", "0.1.0",
            "Training losses: cross-entropy, AugMix's JSD consistency") {
  using namespace gear::plugins::objectives;
  r.add_objective<CrossEntropy>("cross_entropy",
                                "cross-entropy with label smoothing on the first view");
  r.add_objective<JensenShannonConsistency>(
      "jsd", "AugMix: cross-entropy on the clean view + lambda * Jensen-Shannon over all views");
}
