#include <gear/plugin.h>
#include <gear/pruner.h>

#include "l1_pruner.h"
#include "random_pruner.h"
#include "taylor_pruner.h"

GEAR_PLUGIN("gear-pruning", "0.1.0",
            "Structured pruning: l1 (ADaPT), taylor and random channel removal") {
  using namespace gear::plugins::pruning;
  r.add<gear::Pruner, L1Pruner>(
      "l1", "ADaPT: remove the channels with the smallest mean |w|, one global ranking");
  r.add<gear::Pruner, RandomPruner>("random_prune",
                                    "the control: remove channels in a seeded random order");
  r.add<gear::Pruner, TaylorPruner>(
      "taylor",
      "first-order Taylor: remove the channels with the smallest |sum a * dL/da| over "
      "a pass of the stage's data");
}
