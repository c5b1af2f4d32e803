#include <gear/plugin.h>

#include "random_strategy.h"

GEAR_PLUGIN("gear-random-growth", "0.1.0", "Random growth baseline") {
  r.add_growth<gear::plugins::growth::RandomStrategy>(
      "random", "as many fresh channels as gamma allows, each in a uniformly drawn group");
}
