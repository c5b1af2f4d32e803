#pragma once

// Net2WiderNet: replicate uniformly drawn channels (copies share their consumer columns, so the
// function is preserved), then add small noise to the copies' incoming weights to break symmetry.
// No candidate optimisation: the baseline for "does scoring candidates help".

#include "gear/config.h"
#include "gear/growth_strategy.h"

namespace gear::growth {

class Net2WiderStrategy final : public GrowthStrategy {
 public:
  /// Reads the options of schema() from `options` (borrowed for the call; copied).
  explicit Net2WiderStrategy(const Config& options);
  static OptionSchema schema();

  GrowthResult grow(GrowableNet& net, GrowthContext& context) override;

 private:
  Config options_;
  double gamma_, noise_;
};

}  // namespace gear::growth
