#pragma once

#include "ranked_removal.h"

namespace gear::plugins::pruning {

/// The control: channels ranked by uniform random scores from the stage's seeded generator,
/// removed under the same floors and target as l1.
class RandomPruner final : public RankingPruner {
 public:
  using RankingPruner::RankingPruner;

 private:
  ChannelScores scores(GrowableNet& net, PruningContext& context) override;
};

}  // namespace gear::plugins::pruning
