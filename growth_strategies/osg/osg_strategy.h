#pragma once

// One-Shot Growth: the Firefly width-growth step (split existing channels and add fresh ones,
// candidates trained briefly, scored by their gate gradient, kept by a global ranking), which
// GEARnn applies once with a large γ.

#include "candidate_net.h"
#include "gear/config.h"
#include "gear/growth_strategy.h"

namespace gear::growth {

class OsgStrategy final : public GrowthStrategy {
 public:
  /// Reads the options of schema() from `options` (borrowed for the call; copied).
  explicit OsgStrategy(const Config& options);
  static OptionSchema schema();

  GrowthResult grow(GrowableNet& net, GrowthContext& context) override;

 private:
  Config options_;
  double gamma_, lr_, momentum_, alpha_, penalty_, fresh_penalty_;
  int64_t candidates_, epochs_, batches_;
  CandidateInit init_;
};

}  // namespace gear::growth
