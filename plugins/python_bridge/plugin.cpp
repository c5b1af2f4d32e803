#include <gear/plugin.h>

#include "python_growth_bridge.h"
#include "python_pruner_bridge.h"

GEAR_PLUGIN("gear-python", "0.2.0", "Growth strategies and pruners written in Python") {
  r.add_growth<gear::plugins::python::PythonBridge>(
      "python:",
      "strategy = \"python:module.Class\": a subclass of gear.GrowthStrategy, with "
      "the stage's other keys as its constructor's arguments");
  r.add<gear::Pruner, gear::plugins::python::PythonPrunerBridge>(
      "python:",
      "pruner = \"python:module.Class\": a subclass of gear.Pruner, with the stage's other "
      "keys as its constructor's arguments");
}
