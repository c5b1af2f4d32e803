#include <gear/plugin.h>

#include "python_growth_bridge.h"

GEAR_PLUGIN("gear-python-growth", "0.1.0", "Growth strategies written in Python") {
  r.add_growth<gear::plugins::growth::PythonBridge>(
      "python:",
      "strategy = \"python:module.Class\": a subclass of gear.GrowthStrategy, with "
      "the stage's other keys as its constructor's arguments");
}
