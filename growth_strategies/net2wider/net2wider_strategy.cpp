#include "net2wider_strategy.h"

#include <torch/utils.h>

#include "gear/group_snapshot.h"
#include "growth_options.h"
#include "selection.h"

namespace gear::plugins::growth {

Net2WiderStrategy::Net2WiderStrategy(const Config& options)
    : config_(options), options_(binder().read(options)) {}

const OptionBinder<Net2WiderOptions>& Net2WiderStrategy::binder() {
  static const OptionBinder<Net2WiderOptions> binder = [] {
    OptionBinder<Net2WiderOptions> b;
    b.include(&Net2WiderOptions::growth, growth_binder());
    b.bind("noise", &Net2WiderOptions::noise,
           "noise added to a copy's incoming weights, as a fraction of the layer's weight std")
        .at_least(0.0);
    return b;
  }();
  return binder;
}

OptionSchema Net2WiderStrategy::schema() { return binder().schema(); }

GrowthResult Net2WiderStrategy::grow(GrowableNet& net, GrowthContext& context) {
  // Named references, not structured bindings: lambdas below capture them (C++17).
  const GrowthScope scope = scope_of(net, options_.growth, config_);
  const std::vector<std::string>& names = scope.names;
  const std::vector<std::string>& sets = scope.sets;
  const std::vector<int64_t>& widths = scope.widths;

  // Sources drawn uniformly over the set's existing channels (Net2Net's g(j)); a channel may be
  // drawn more than once when gamma > 1.
  const std::vector<RankedSet> draws = uniform_draws(
      sets, widths, options_.growth.gamma,
      [&](const std::string& set) {
        std::vector<Candidate> pool;
        for (size_t g = 0; g < names.size(); ++g)
          if (sets[g] == set)
            for (int64_t c = 0; c < widths[g]; ++c) pool.push_back({g, c, 0.0});
        return pool;
      },
      context.generator());
  auto sources_for = [&](int64_t kept) {
    std::vector<std::vector<int64_t>> sources;
    for (auto& choice : choose(draws, widths, kept)) sources.push_back(std::move(choice.split));
    return sources;
  };

  GroupSnapshot snapshot(net, names);
  const int64_t total = sum_of(targets_of(draws));
  auto apply = [&](int64_t kept) {
    snapshot.restore();
    const auto sources = sources_for(kept);
    for (size_t g = 0; g < names.size(); ++g)
      if (!sources[g].empty()) net.duplicate(names[g], sources[g]);
  };
  BudgetFit fit = fit_to_budget(net, context, total, apply);

  // Noise on the copies' incoming weights (rows past the original width).
  const auto sources = sources_for(fit.kept);
  std::vector<int64_t> split;
  torch::NoGradGuard no_grad;
  for (size_t g = 0; g < names.size(); ++g) {
    split.push_back(static_cast<int64_t>(sources[g].size()));
    if (sources[g].empty() || options_.noise == 0.0) continue;
    for (const auto& tied : net.tied_tensors(names[g])) {
      if (tied.role != TieRole::kProducerWeight) continue;
      torch::Tensor copies = tied.tensor.narrow(0, widths[g], split.back());
      const double scale = options_.noise * tied.tensor.std().item<double>();
      copies.add_(
          (torch::randn(copies.sizes(), context.generator(), torch::dtype(copies.scalar_type())) *
           scale)
              .to(copies.device()));
    }
  }
  GrowthResult result = make_result(net, names, split, std::vector<int64_t>(names.size(), 0));
  result.bound_by = fit.bound_by;
  result.metrics = {{"target", static_cast<double>(total)},
                    {"kept", static_cast<double>(fit.kept)}};
  return result;
}

}  // namespace gear::plugins::growth
