#pragma once

// Random growth: as many fresh channels as OSG would add, each placed in a group drawn uniformly,
// with Firefly's fresh-neuron initial scales and no candidate optimisation. The baseline that
// tells whether OSG's choice of where to grow matters.

#include "gear/config.h"
#include "gear/growth_strategy.h"
#include "gear/options.h"
#include "growth_options.h"

namespace gear::plugins::growth {

/// Random growth's options; the defaults are the schema's.
struct RandomOptions {
  GrowthOptions growth;     ///< `gamma`, `groups`
  double fresh_in = 0.1;    ///< new incoming weights N(0, fresh_in²)
  double fresh_out = 0.01;  ///< new outgoing weights U(-fresh_out, fresh_out)
};

class RandomStrategy final : public GrowthStrategy {
 public:
  /// Reads the options of schema() from `options` (borrowed for the call; copied).
  explicit RandomStrategy(const Config& options);
  /// binder().schema() with RandomOptions' defaults.
  static OptionSchema schema();
  /// The one declaration of random growth's options. The reference lives as long as the program.
  static const OptionBinder<RandomOptions>& binder();

  GrowthResult grow(GrowableNet& net, GrowthContext& context) override;

 private:
  Config config_;  ///< for failures at an option's position during grow()
  RandomOptions options_;
};

}  // namespace gear::plugins::growth
