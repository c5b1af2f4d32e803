#pragma once

#include <gear/config.h>
#include <gear/pruner.h>

#include <memory>

namespace gear::plugins::python {

/// The `python:` pruner: `pruner = "python:module.Class"` runs a subclass of gear.Pruner, with
/// the stage table's other keys as its constructor's arguments. As for growth strategies, the
/// Python side lives in the gear Python module; this plugin starts Python when gearhost has
/// none and forwards to it.
class PythonPrunerBridge : public Pruner {
 public:
  explicit PythonPrunerBridge(const Config& options);
  /// python_path, and any other key (the class's arguments).
  static OptionSchema schema();
  PruneResult prune(GrowableNet& net, PruningContext& context) override;

 private:
  std::shared_ptr<Pruner> pruner_;
};

}  // namespace gear::plugins::python
