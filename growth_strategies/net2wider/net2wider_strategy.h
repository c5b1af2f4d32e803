#pragma once

// Net2WiderNet: replicate uniformly drawn channels (copies share their consumer columns, so the
// function is preserved), then add small noise to the copies' incoming weights to break symmetry.
// No candidate optimisation: the baseline for "does scoring candidates help".

#include "gear/config.h"
#include "gear/growth_strategy.h"
#include "gear/options.h"
#include "growth_options.h"

namespace gear::plugins::growth {

/// Net2WiderNet's options; the defaults are the schema's.
struct Net2WiderOptions {
  GrowthOptions growth;  ///< `gamma`, `groups`
  double noise = 0.01;   ///< noise on a copy's incoming weights, relative to the weight std
};

class Net2WiderStrategy final : public GrowthStrategy {
 public:
  /// Reads the options of schema() from `options` (borrowed for the call; copied).
  explicit Net2WiderStrategy(const Config& options);
  /// binder().schema() with Net2WiderOptions' defaults.
  static OptionSchema schema();
  /// The one declaration of Net2WiderNet's options. The reference lives as long as the program.
  static const OptionBinder<Net2WiderOptions>& binder();

  GrowthResult grow(GrowableNet& net, GrowthContext& context) override;

 private:
  Config config_;  ///< for failures at an option's position during grow()
  Net2WiderOptions options_;
};

}  // namespace gear::plugins::growth
