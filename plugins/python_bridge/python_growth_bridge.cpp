#include "python_growth_bridge.h"

#include <gear/python_bridge.h>

#include "python_paths.h"
#include "python_runtime.h"

namespace gear::plugins::python {

OptionSchema PythonBridge::schema() {
  return OptionSchema()
      .add_string_list("python_path", {},
                       "folders put first on sys.path, relative to the pipeline's folder (which "
                       "is always searched)")
      .allow_other_keys(
          "passed to the Python class's constructor as keyword arguments, and "
          "checked against its signature");
}

PythonBridge::PythonBridge(const Config& options) {
  auto make = reinterpret_cast<GearPythonMakeStrategyV1>(
      gear_python_symbol(GEAR_PYTHON_MAKE_STRATEGY_SYMBOL, {GEAR_PYTHON_PACKAGE_FOLDERS}));
  const OptionSchema bridge = schema();
  make(&options, &bridge, &strategy_);
}

GrowthResult PythonBridge::grow(GrowableNet& net, GrowthContext& context) {
  return strategy_->grow(net, context);
}

}  // namespace gear::plugins::python
