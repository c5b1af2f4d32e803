#include "python_pruner_bridge.h"

#include <gear/python_bridge.h>

#include "python_growth_bridge.h"
#include "python_paths.h"
#include "python_runtime.h"

namespace gear::plugins::python {

OptionSchema PythonPrunerBridge::schema() { return PythonBridge::schema(); }

PythonPrunerBridge::PythonPrunerBridge(const Config& options) {
  auto make = reinterpret_cast<GearPythonMakePrunerV1>(
      gear_python_symbol(GEAR_PYTHON_MAKE_PRUNER_SYMBOL, {GEAR_PYTHON_PACKAGE_FOLDERS}));
  const OptionSchema bridge = schema();
  make(&options, &bridge, &pruner_);
}

PruneResult PythonPrunerBridge::prune(GrowableNet& net, PruningContext& context) {
  return pruner_->prune(net, context);
}

}  // namespace gear::plugins::python
