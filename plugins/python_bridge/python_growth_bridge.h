#pragma once

#include <gear/config.h>
#include <gear/growth_strategy.h>

#include <memory>

namespace gear::plugins::python {

/// The `python:` growth strategy: `strategy = "python:module.Class"` runs a subclass of
/// gear.GrowthStrategy, with the stage table's other keys as its constructor's arguments. The
/// Python side (import, argument checks, the net and context as Python objects) lives in the
/// gear Python module; this plugin starts Python when gearhost has none and forwards to it.
class PythonBridge : public GrowthStrategy {
 public:
  explicit PythonBridge(const Config& options);
  static OptionSchema schema();
  GrowthResult grow(GrowableNet& net, GrowthContext& context) override;

 private:
  std::shared_ptr<GrowthStrategy> strategy_;
};

}  // namespace gear::plugins::python
