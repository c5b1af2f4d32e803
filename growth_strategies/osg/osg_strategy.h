#pragma once

// One-Shot Growth: the Firefly width-growth step (split existing channels and add fresh ones,
// candidates trained briefly, scored by their gate gradient, kept by a global ranking), which
// GEARnn applies once with a large γ.

#include "candidate_net.h"
#include "gear/config.h"
#include "gear/growth_strategy.h"
#include "gear/options.h"
#include "growth_options.h"

namespace gear::plugins::growth {

/// OSG's options; the defaults are the schema's.
struct OsgOptions {
  GrowthOptions growth;         ///< `gamma`, `groups`
  int64_t candidates = 70;      ///< fresh candidate channels per group (Firefly's K)
  int64_t epochs = 1;           ///< epochs of candidate training before the scoring pass
  int64_t batches = 0;          ///< batches per candidate epoch and scoring pass; 0: all
  double lr = 1e-3;             ///< RMSprop learning rate of the candidate phase
  double momentum = 0.1;        ///< RMSprop momentum of the candidate phase
  double alpha = 0.9;           ///< RMSprop smoothing constant of the candidate phase
  double penalty = 1e-2;        ///< L2 penalty on the split directions
  double fresh_penalty = 1e-2;  ///< L2 penalty on fresh incoming weights, relative to penalty
  CandidateInit init;           ///< `split_init`, `fresh_in_init`, `fresh_out_init`
  bool tap_scores = true;       ///< score groups that allow it at their taps (tap_scores.h)
  bool average_pairs = true;    ///< consumers read split pairs' means where the net allows it
};

class OsgStrategy final : public GrowthStrategy {
 public:
  /// Reads the options of schema() from `options` (borrowed for the call; copied).
  explicit OsgStrategy(const Config& options);
  /// binder().schema() with OsgOptions' defaults.
  static OptionSchema schema();
  /// The one declaration of OSG's options. The reference lives as long as the program.
  static const OptionBinder<OsgOptions>& binder();

  GrowthResult grow(GrowableNet& net, GrowthContext& context) override;

 private:
  Config config_;  ///< for failures at an option's position during grow()
  OsgOptions options_;
};

}  // namespace gear::plugins::growth
