#include <gear/plugin.h>

#include "osg_strategy.h"

GEAR_PLUGIN("gear-osg", "0.1.0", "One-Shot Growth (Firefly split + new neurons, global ranking)") {
  r.add_growth<gear::plugins::growth::OsgStrategy>(
      "osg",
      "One-Shot Growth: split and fresh candidates trained, scored by gate gradient, "
      "kept by a global ranking under gamma and the budget");
}
