#include "ranked_removal.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace gear::plugins::pruning {

const OptionBinder<RankingOptions>& ranking_binder() {
  static const OptionBinder<RankingOptions> binder = [] {
    OptionBinder<RankingOptions> b;
    b.bind("min_channels", &RankingOptions::min_channels,
           "floor: no channel group is pruned below this many channels")
        .at_least(1);
    b.bind("ignore", &RankingOptions::ignore, "channel groups never pruned (e.g. [\"conv0\"])");
    b.bind("chain_floor", &RankingOptions::chain_floor,
           "floor of residual-chain groups at pruning fraction p: adapt (ADaPT: ceil(c(1-p)) "
           "for p >= 0.5, else ceil(c p)), maintain_width (autoprune: ceil(c/2) for p >= 0.85, "
           "ceil(c(1-p)) for p <= 0.5, else ceil(c p)) or none")
        .one_of({"adapt", "maintain_width", "none"});
    return b;
  }();
  return binder;
}

bool is_chain(const GrowableNet& net, size_t g) {
  int64_t producers = 0;
  for (const auto& t : net.tied_tensors(net.groups()[g].name))
    if (t.role == TieRole::kProducerWeight) ++producers;
  return producers > 1;
}

int64_t chain_floor(const std::string& policy, int64_t width, double p) {
  const auto c = static_cast<double>(width);
  auto up = [](double x) { return static_cast<int64_t>(std::ceil(x - 1e-9)); };
  if (policy == "adapt") return p >= 0.5 ? up(c * (1.0 - p)) : up(c * p);
  if (policy == "maintain_width") {
    if (p >= 0.85) return up(c * 0.5);
    return p <= 0.5 ? up(c * (1.0 - p)) : up(c * p);
  }
  return 0;
}

PruneResult remove_lowest(GrowableNet& net, const ChannelScores& scores, const PruneTarget& target,
                          const std::vector<int64_t>& sample_shape, const RankingOptions& ranking,
                          const Config& options) {
  const auto& groups = net.groups();
  const std::vector<std::string> names = net.group_names();
  for (const auto& name : ranking.ignore)
    if (std::find(names.begin(), names.end(), name) == names.end())
      ranking_binder().fail(options, &RankingOptions::ignore, "no channel group '" + name + "'");
  struct Channel {
    double score;
    size_t group;
    int64_t index;
  };
  std::vector<Channel> ranked;
  for (size_t g = 0; g < groups.size(); ++g) {
    const bool ignored = std::find(ranking.ignore.begin(), ranking.ignore.end(), groups[g].name) !=
                         ranking.ignore.end();
    if (!groups[g].growable || ignored) continue;
    for (size_t c = 0; c < scores[g].size(); ++c)
      ranked.push_back({scores[g][c], g, static_cast<int64_t>(c)});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Channel& a, const Channel& b) { return a.score < b.score; });

  std::vector<int64_t> widths = net.widths();
  std::vector<int64_t> floors(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    floors[g] = ranking.min_channels;
    if (is_chain(net, g))
      floors[g] = std::max(floors[g], chain_floor(ranking.chain_floor, widths[g], target.fraction));
  }
  const CostAtWidths cost_at(net, sample_shape);  // the net is unchanged until the select below
  const int64_t before = cost_at(target.measure, widths);
  const auto goal = static_cast<int64_t>(std::ceil(target.fraction * static_cast<double>(before)));
  std::vector<std::set<int64_t>> removed(groups.size());
  PruneResult result;
  result.bound_by = "floor";
  int64_t freed = 0;
  for (const Channel& ch : ranked) {
    if (widths[ch.group] - 1 < floors[ch.group]) continue;
    --widths[ch.group];
    removed[ch.group].insert(ch.index);
    freed = before - cost_at(target.measure, widths);
    if (freed >= goal) {
      result.bound_by = "target";
      break;
    }
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    result.removed.push_back(static_cast<int64_t>(removed[g].size()));
    if (removed[g].empty()) continue;
    std::vector<int64_t> keep;
    for (int64_t c = 0; c < net.width(names[g]); ++c)
      if (!removed[g].count(c)) keep.push_back(c);
    net.select(names[g], keep);
    result.records["removed." + names[g]] =
        std::vector<int64_t>(removed[g].begin(), removed[g].end());
  }
  const std::string measure = measure_name(target.measure);
  result.metrics["freed_" + measure] = static_cast<double>(freed);
  result.metrics["freed_fraction"] = static_cast<double>(freed) / static_cast<double>(before);
  return result;
}

RankingPruner::RankingPruner(const Config& options)
    : options_(options), ranking_(ranking_binder().read(options)) {}

OptionSchema RankingPruner::schema() { return ranking_binder().schema(); }

PruneResult RankingPruner::prune(GrowableNet& net, PruningContext& context) {
  return remove_lowest(net, scores(net, context), context.target(), context.sample_shape(),
                       ranking_, options_);
}

}  // namespace gear::plugins::pruning
