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
    return b;
  }();
  return binder;
}

PruneResult remove_lowest(GrowableNet& net, const ChannelScores& scores, const PruneTarget& target,
                          const RankingOptions& ranking, const Config& options) {
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
  const ParamsAtWidths params_at(net);  // the net is unchanged until the select below
  const int64_t before = net.params();
  const auto goal = static_cast<int64_t>(std::ceil(target.params * static_cast<double>(before)));
  std::vector<std::set<int64_t>> removed(groups.size());
  PruneResult result;
  result.bound_by = "floor";
  int64_t freed = 0;
  for (const Channel& ch : ranked) {
    if (widths[ch.group] - 1 < ranking.min_channels) continue;
    --widths[ch.group];
    removed[ch.group].insert(ch.index);
    freed = before - params_at(widths);
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
  result.metrics["freed_params"] = static_cast<double>(freed);
  result.metrics["freed_fraction"] = static_cast<double>(freed) / static_cast<double>(before);
  return result;
}

RankingPruner::RankingPruner(const Config& options)
    : options_(options), ranking_(ranking_binder().read(options)) {}

OptionSchema RankingPruner::schema() { return ranking_binder().schema(); }

PruneResult RankingPruner::prune(GrowableNet& net, PruningContext& context) {
  return remove_lowest(net, scores(net, context), context.target(), ranking_, options_);
}

}  // namespace gear::plugins::pruning
