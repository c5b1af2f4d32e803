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
  /// Floor of a chain group (one whose channels several producers write: a residual stream):
  /// "adapt", "maintain_width" or "none" (chain_floor()).
  std::string chain_floor = "adapt";
};

/// Whether group `g` of `net` is a chain: more than one producer writes its channels (the
/// convolutions of a residual stream), so every block of the chain loses them together.
bool is_chain(const GrowableNet& net, size_t g);

/// The fewest channels a chain group of `width` keeps at pruning fraction `p` under `policy`:
/// ADaPT's "adapt" keeps ceil(width * (1 - p)) for p >= 0.5, else ceil(width * p);
/// "maintain_width" (autoprune's) keeps ceil(width * 0.5) for p >= 0.85, ceil(width * (1 - p))
/// for p <= 0.5, else ceil(width * p); "none" keeps none (min_channels still applies).
int64_t chain_floor(const std::string& policy, int64_t width, double p);

/// The one declaration of RankingOptions.
const OptionBinder<RankingOptions>& ranking_binder();

/// A score per channel of each group (group order); groups that may not be pruned may be empty.
using ChannelScores = std::vector<std::vector<double>>;

/// Removes the lowest-scoring channels of `net` across all prunable groups (growable, not
/// ignored, above their floor), one at a time in ascending score order (ties: group order, then
/// channel), until the measure freed, counted exactly with CostAtWidths on samples of
/// `sample_shape`, reaches `target.fraction` of the net's; then applies the removal with
/// GrowableNet::select (kept channels in their order). Throws ConfigError at `options`' `ignore`
/// for an unknown group. All arguments are borrowed for the call.
PruneResult remove_lowest(GrowableNet& net, const ChannelScores& scores, const PruneTarget& target,
                          const std::vector<int64_t>& sample_shape, const RankingOptions& ranking,
                          const Config& options);

/// A pruner that scores every channel and removes the lowest (remove_lowest) under the
/// ranking options: subclasses only say how channels are scored.
class RankingPruner : public Pruner {
 public:
  /// Reads the ranking options from `options` (borrowed for the call; copied for messages).
  explicit RankingPruner(const Config& options);
  /// min_channels, ignore and chain_floor.
  static OptionSchema schema();
  PruneResult prune(GrowableNet& net, PruningContext& context) final;

 private:
  /// One score per channel of each group (group order); lower goes first.
  virtual ChannelScores scores(GrowableNet& net, PruningContext& context) = 0;

  Config options_;
  RankingOptions ranking_;
};

}  // namespace gear::plugins::pruning
