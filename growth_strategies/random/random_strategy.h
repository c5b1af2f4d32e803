#pragma once

// Random growth: as many fresh channels as OSG would add, each placed in a group drawn uniformly,
// with Firefly's fresh-neuron initial scales and no candidate optimisation. The baseline that
// tells whether OSG's choice of where to grow matters.

#include "gear/config.h"
#include "gear/growth_strategy.h"

namespace gear::growth {

class RandomStrategy final : public GrowthStrategy {
 public:
  /// Reads the options of schema() from `options` (borrowed for the call; copied).
  explicit RandomStrategy(const Config& options);
  static OptionSchema schema();

  GrowthResult grow(GrowableNet& net, GrowthContext& context) override;

 private:
  Config options_;
  double gamma_, fresh_in_, fresh_out_;
};

}  // namespace gear::growth
