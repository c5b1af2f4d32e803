#pragma once

#include "ranked_removal.h"

namespace gear::plugins::pruning {

/// ADaPT's criterion: a channel's score is its filter's mean |w| (L1 norm over the filter's
/// size), averaged over the group's producers when the group ties several (a residual stream),
/// so the same index goes from every tied tensor. One global ascending ranking.
class L1Pruner final : public Pruner {
 public:
  explicit L1Pruner(const Config& options);
  static OptionSchema schema();
  PruneResult prune(GrowableNet& net, PruningContext& context) override;

  /// The scores, per group in group order (exposed for the tests).
  static ChannelScores scores(const GrowableNet& net);

 private:
  Config options_;
  RankingOptions ranking_;
};

}  // namespace gear::plugins::pruning
