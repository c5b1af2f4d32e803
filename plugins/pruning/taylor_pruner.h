#pragma once

#include "ranked_removal.h"

namespace gear::plugins::pruning {

/// A data-driven criterion (first-order Taylor, Molchanov et al.): a channel's score is
/// |sum over a pass of the stage's training data of a * dL/da|, with a the group's activation
/// at every tap and L the summed cross-entropy; it estimates how much the loss changes when the
/// channel is zeroed. The pass runs in eval mode (BatchNorm statistics untouched) with every
/// parameter frozen (no weight gradient is computed; each gets its flag back after), and leaves
/// no gradients behind. Removed under the same floors and target as l1.
class TaylorPruner final : public RankingPruner {
 public:
  explicit TaylorPruner(const Config& options);
  /// The ranking options and `batches`.
  static OptionSchema schema();
  /// The scores of one pass over at most `batches` batches (0: all) of `context`'s data.
  static ChannelScores taylor_scores(GrowableNet& net, PruningContext& context, int64_t batches);

 private:
  ChannelScores scores(GrowableNet& net, PruningContext& context) override;
  int64_t batches_ = 0;
};

}  // namespace gear::plugins::pruning
