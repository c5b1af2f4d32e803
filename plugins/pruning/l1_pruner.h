#pragma once

#include "ranked_removal.h"

namespace gear::plugins::pruning {

/// ADaPT's criterion: a channel's score is its filter's mean |w| (L1 norm over the filter's
/// size), averaged over the group's producers when the group ties several (a residual stream),
/// so the same index goes from every tied tensor. One global ascending ranking.
class L1Pruner final : public RankingPruner {
 public:
  using RankingPruner::RankingPruner;
  /// The scores, per group in group order (also what the tests check against the definition).
  static ChannelScores l1_scores(const GrowableNet& net);

 private:
  ChannelScores scores(GrowableNet& net, PruningContext& context) override;
};

}  // namespace gear::plugins::pruning
