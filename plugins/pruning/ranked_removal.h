#pragma once

// What every ranking pruner shares: which groups may lose channels, the floors, and the global
// ascending ranking that removes channels until the freed parameters reach the target.

#include <gear/config.h>
#include <gear/growable_net.h>
#include <gear/options.h>
#include <gear/pruner.h>

#include <string>
#include <vector>

namespace gear::plugins::pruning {

/// Options of every ranking pruner.
struct RankingOptions {
  int64_t min_channels = 2;         ///< no group is pruned below this
  std::vector<std::string> ignore;  ///< groups never pruned (e.g. the stem)
};

/// The one declaration of RankingOptions.
const OptionBinder<RankingOptions>& ranking_binder();

/// A score per channel of each group (group order); groups that may not be pruned may be empty.
using ChannelScores = std::vector<std::vector<double>>;

/// Removes the lowest-scoring channels of `net` across all prunable groups (growable, not
/// ignored, above the floor), one at a time in ascending score order (ties: group order, then
/// channel), until the parameters freed, counted exactly with ParamsAtWidths, reach
/// `target.params` of the net's; then applies the removal with GrowableNet::select (kept
/// channels in their order). Throws ConfigError at `options`' `ignore` for an unknown group.
PruneResult remove_lowest(GrowableNet& net, const ChannelScores& scores, const PruneTarget& target,
                          const RankingOptions& ranking, const Config& options);

/// A pruner that scores every channel and removes the lowest (remove_lowest) under the
/// ranking options: subclasses only say how channels are scored.
class RankingPruner : public Pruner {
 public:
  /// Reads the ranking options from `options` (borrowed for the call; copied for messages).
  explicit RankingPruner(const Config& options);
  /// min_channels and ignore.
  static OptionSchema schema();
  PruneResult prune(GrowableNet& net, PruningContext& context) final;

 private:
  /// One score per channel of each group (group order); lower goes first.
  virtual ChannelScores scores(const GrowableNet& net, PruningContext& context) = 0;

  Config options_;
  RankingOptions ranking_;
};

}  // namespace gear::plugins::pruning
