#include <gear/plugin.h>

#include "net2wider_strategy.h"

GEAR_PLUGIN("gear-net2wider", "0.1.0", "Net2WiderNet growth baseline") {
  r.add_growth<gear::plugins::growth::Net2WiderStrategy>(
      "net2wider", "function-preserving replication of uniformly drawn channels, small noise");
}
