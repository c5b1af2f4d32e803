#include "random_strategy.h"

#include "fresh_init.h"
#include "gear/group_snapshot.h"
#include "growth_options.h"
#include "selection.h"

namespace gear::plugins::growth {

RandomStrategy::RandomStrategy(const Config& options)
    : config_(options), options_(binder().read(options)) {}

const OptionBinder<RandomOptions>& RandomStrategy::binder() {
  static const OptionBinder<RandomOptions> binder = [] {
    OptionBinder<RandomOptions> b;
    b.include(&RandomOptions::growth, growth_binder());
    b.bind("fresh_in_init", &RandomOptions::fresh_in, "new incoming weights N(0, fresh_in_init^2)")
        .at_least(0.0);
    b.bind("fresh_out_init", &RandomOptions::fresh_out, "new outgoing weights U(-x, x)")
        .at_least(0.0);
    return b;
  }();
  return binder;
}

OptionSchema RandomStrategy::schema() { return binder().schema(); }

GrowthResult RandomStrategy::grow(GrowableNet& net, GrowthContext& context) {
  // Named references, not structured bindings: lambdas below capture them (C++17).
  const GrowthScope scope = scope_of(net, options_.growth, config_);
  const std::vector<std::string>& names = scope.names;
  const std::vector<std::string>& sets = scope.sets;
  const std::vector<int64_t>& widths = scope.widths;

  // Each new channel goes to a uniformly drawn group of its budget set (a fresh candidate).
  const std::vector<RankedSet> draws = uniform_draws(
      sets, widths, options_.growth.gamma,
      [&](const std::string& set) {
        std::vector<Candidate> pool;
        for (size_t g = 0; g < names.size(); ++g)
          if (sets[g] == set) pool.push_back({g, widths[g], 0.0});
        return pool;
      },
      context.generator());
  auto counts_for = [&](int64_t kept) {
    std::vector<int64_t> counts;
    for (const auto& choice : choose(draws, widths, kept))
      counts.push_back(static_cast<int64_t>(choice.fresh.size()));
    return counts;
  };

  GroupSnapshot snapshot(net, names);
  const int64_t total = sum_of(targets_of(draws));
  // Values do not change the budget, so the search widens with the SDK's inert defaults.
  BudgetFit fit = fit_to_budget(net, context, total, [&](int64_t kept) {
    snapshot.restore();
    const std::vector<int64_t> counts = counts_for(kept);
    for (size_t g = 0; g < names.size(); ++g) net.widen(names[g], counts[g]);
  });
  snapshot.restore();
  const std::vector<int64_t> fresh = counts_for(fit.kept);
  const SliceInit init =
      fresh_slice_init(options_.fresh_in, options_.fresh_out, context.generator());
  for (size_t g = 0; g < names.size(); ++g) net.widen(names[g], fresh[g], init);

  GrowthResult result = make_result(net, names, std::vector<int64_t>(names.size(), 0), fresh);
  result.bound_by = fit.bound_by;
  result.metrics = {{"target", static_cast<double>(total)},
                    {"kept", static_cast<double>(fit.kept)}};
  return result;
}

}  // namespace gear::plugins::growth
