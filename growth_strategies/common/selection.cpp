#include "selection.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace gear::plugins::growth {

std::vector<std::pair<std::string, int64_t>> set_targets(const std::vector<std::string>& sets,
                                                         const std::vector<int64_t>& widths,
                                                         double gamma) {
  std::vector<std::pair<std::string, int64_t>> sums;
  for (size_t g = 0; g < sets.size(); ++g) {
    auto it =
        std::find_if(sums.begin(), sums.end(), [&](const auto& s) { return s.first == sets[g]; });
    if (it == sums.end())
      sums.emplace_back(sets[g], widths[g]);
    else
      it->second += widths[g];
  }
  for (auto& s : sums)
    s.second = static_cast<int64_t>(std::floor(gamma * static_cast<double>(s.second) + 1e-9));
  return sums;
}

std::vector<RankedSet> rank_candidates(const std::vector<std::vector<double>>& scores,
                                       const std::vector<std::string>& sets,
                                       const std::vector<int64_t>& widths, double gamma) {
  std::vector<RankedSet> out;
  for (const auto& [set, target] : set_targets(sets, widths, gamma)) {
    RankedSet ranked{set, {}, target};
    for (size_t g = 0; g < scores.size(); ++g) {
      if (sets[g] != set) continue;
      for (size_t i = 0; i < scores[g].size(); ++i)
        ranked.order.push_back({g, static_cast<int64_t>(i), scores[g][i]});
    }
    std::stable_sort(ranked.order.begin(), ranked.order.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score < b.score; });
    ranked.target = std::min<int64_t>(ranked.target, static_cast<int64_t>(ranked.order.size()));
    out.push_back(std::move(ranked));
  }
  return out;
}

std::vector<int64_t> share(const std::vector<int64_t>& targets, int64_t kept) {
  const int64_t total = sum_of(targets);
  std::vector<int64_t> out;
  for (int64_t t : targets) out.push_back(total == 0 ? 0 : t * kept / total);
  return out;
}

int64_t sum_of(const std::vector<int64_t>& values) {
  int64_t total = 0;
  for (int64_t v : values) total += v;
  return total;
}

std::vector<int64_t> targets_of(const std::vector<RankedSet>& ranked) {
  std::vector<int64_t> out;
  for (const auto& r : ranked) out.push_back(r.target);
  return out;
}

std::vector<GroupChoice> choose(const std::vector<RankedSet>& ranked,
                                const std::vector<int64_t>& widths, int64_t kept) {
  const std::vector<int64_t> counts = share(targets_of(ranked), kept);
  std::vector<GroupChoice> choice(widths.size());
  for (size_t s = 0; s < ranked.size(); ++s) {
    for (int64_t i = 0; i < counts[s]; ++i) {
      const Candidate& c = ranked[s].order[static_cast<size_t>(i)];
      if (c.index < widths[c.group])
        choice[c.group].split.push_back(c.index);
      else
        choice[c.group].fresh.push_back(c.index - widths[c.group]);
    }
  }
  for (auto& c : choice) {
    std::sort(c.split.begin(), c.split.end());
    std::sort(c.fresh.begin(), c.fresh.end());
  }
  return choice;
}

std::vector<RankedSet> uniform_draws(
    const std::vector<std::string>& sets, const std::vector<int64_t>& widths, double gamma,
    const std::function<std::vector<Candidate>(const std::string& set)>& pool,
    torch::Generator& generator) {
  std::vector<RankedSet> out;
  for (const auto& [set, target] : set_targets(sets, widths, gamma)) {
    const std::vector<Candidate> candidates = pool(set);
    RankedSet ranked{set, {}, candidates.empty() ? 0 : target};
    if (ranked.target > 0) {
      torch::Tensor picks = torch::randint(static_cast<int64_t>(candidates.size()), {ranked.target},
                                           generator, torch::kLong);
      const int64_t* index = picks.data_ptr<int64_t>();
      for (int64_t i = 0; i < ranked.target; ++i)
        ranked.order.push_back(candidates[static_cast<size_t>(index[i])]);
    }
    out.push_back(std::move(ranked));
  }
  return out;
}

}  // namespace gear::plugins::growth
