#include <gear/plugin.h>

#include "instability_evaluator.h"

GEAR_PLUGIN("gear-instability", "0.1.0",
            "Cross-device prediction instability across device profiles and model variants") {
  r.add_evaluator<gear::plugins::instability::InstabilityEvaluator>(
      "instability",
      "set, pairwise, reference and correctness instability of the top-1 labels across the "
      "pipeline's device profiles, with canonicalisation and across model variants");
}
