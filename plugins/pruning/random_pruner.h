#pragma once

#include "ranked_removal.h"

namespace gear::plugins::pruning {

/// The control: channels ranked by uniform random scores from the stage's seeded generator,
/// removed under the same floors and target as l1.
class RandomPruner final : public Pruner {
 public:
  explicit RandomPruner(const Config& options);
  static OptionSchema schema();
  PruneResult prune(GrowableNet& net, PruningContext& context) override;

 private:
  Config options_;
  RankingOptions ranking_;
};

}  // namespace gear::plugins::pruning
