#pragma once

// Global ranking of growth candidates and fitting the kept count to the pipeline's budget.

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gear/budget_fit.h"
#include "gear/growth_strategy.h"

namespace gear::plugins::growth {

/// One candidate of a group: `index` < width is a split of that channel, otherwise fresh
/// candidate index - width.
struct Candidate {
  size_t group = 0;
  int64_t index = 0;
  double score = 0.0;
};

/// The candidates of one budget set (ChannelGroup::set), best (lowest score) first, and how many
/// of them γ allows: ⌊γ · Σ widths⌋ over the set's grown groups.
struct RankedSet {
  std::string set;
  std::vector<Candidate> order;
  int64_t target = 0;
};

/// Ranks candidates per budget set. `scores[g]` holds group g's candidate scores (split ones
/// first, then fresh); `sets[g]` and `widths[g]` are the group's set and width before growth.
/// Ties keep candidate order, so the ranking is deterministic.
std::vector<RankedSet> rank_candidates(const std::vector<std::vector<double>>& scores,
                                       const std::vector<std::string>& sets,
                                       const std::vector<int64_t>& widths, double gamma);

/// Candidates of one group to keep: indices of split channels (< width) and of fresh ones (< K).
struct GroupChoice {
  std::vector<int64_t> split, fresh;
};

/// Σ of `values`.
int64_t sum_of(const std::vector<int64_t>& values);

/// Each set's target, in ranking order.
std::vector<int64_t> targets_of(const std::vector<RankedSet>& ranked);

/// The first share(targets, kept) candidates of each set, as sorted choices per group
/// (`widths[g]` splits the index space of group g into split and fresh candidates).
std::vector<GroupChoice> choose(const std::vector<RankedSet>& ranked,
                                const std::vector<int64_t>& widths, int64_t kept);

/// ⌊γ · Σ widths⌋ per budget set, in order of first appearance of the set.
std::vector<std::pair<std::string, int64_t>> set_targets(const std::vector<std::string>& sets,
                                                         const std::vector<int64_t>& widths,
                                                         double gamma);

/// How many to keep of each set when `kept` of all `Σ targets` are allowed: ⌊target · kept / Σ⌋,
/// which is monotone in `kept` and equals the targets at kept = Σ targets.
std::vector<int64_t> share(const std::vector<int64_t>& targets, int64_t kept);

/// Unranked growth: for each budget set, its target number of candidates drawn uniformly with
/// replacement from `pool(set)` (the set's candidates), in draw order; growth keeps a prefix.
std::vector<RankedSet> uniform_draws(
    const std::vector<std::string>& sets, const std::vector<int64_t>& widths, double gamma,
    const std::function<std::vector<Candidate>(const std::string& set)>& pool,
    torch::Generator& generator);

}  // namespace gear::plugins::growth
