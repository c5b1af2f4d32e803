// Example growth strategy, written as a researcher new to GEAR would, against the installed SDK
// only: score every channel by its first-order Taylor importance |sum over the data of
// a * dL/da| (Molchanov et al., 2019), from the activations and gradients the architecture's
// group taps report, then split (Net2Wider, function-preserving) the highest-scoring channels
// across all groups, as many as gamma allows and the pipeline's budget admits.

#include <gear/budget_fit.h>
#include <gear/gear.h>
#include <gear/group_snapshot.h>
#include <torch/nn/functional/loss.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace gear::plugins::taylor_split {
namespace {

struct TaylorOptions {
  double gamma = 0.25;  ///< new channels as a share of all growable channels
  int64_t batches = 8;  ///< scoring batches
};

const OptionBinder<TaylorOptions>& binder() {
  static const OptionBinder<TaylorOptions> b = [] {
    OptionBinder<TaylorOptions> o;
    o.bind("gamma", &TaylorOptions::gamma, "new channels as a share of all growable channels")
        .range(0.0, 4.0);
    o.bind("batches", &TaylorOptions::batches, "training batches the scores are summed over")
        .at_least(1);
    return o;
  }();
  return b;
}

struct Candidate {
  size_t group;
  int64_t channel;
  double score;
};

class TaylorSplit final : public GrowthStrategy {
 public:
  explicit TaylorSplit(const Config& options) : options_(binder().read(options)) {}
  static OptionSchema schema() { return binder().schema(); }

  GrowthResult grow(GrowableNet& net, GrowthContext& context) override {
    std::vector<std::string> names;
    for (const auto& group : net.groups())
      if (group.growable) names.push_back(group.name);
    const std::vector<torch::Tensor> scores = taylor_scores(net, context, names);

    std::vector<Candidate> ranked;
    int64_t total_width = 0;
    for (size_t g = 0; g < names.size(); ++g) {
      total_width += net.width(names[g]);
      auto values = scores[g].to(torch::kCPU, torch::kDouble).contiguous();
      for (int64_t c = 0; c < values.numel(); ++c)
        ranked.push_back({g, c, values.data_ptr<double>()[c]});
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    const auto total = std::min<int64_t>(
        static_cast<int64_t>(ranked.size()),
        static_cast<int64_t>(std::floor(options_.gamma * static_cast<double>(total_width))));

    // Split the top `kept` channels; the budget decides how many of the `total` fit.
    GroupSnapshot snapshot(net, names);
    std::vector<std::vector<int64_t>> chosen;
    const BudgetFit fit = fit_to_budget(net, context, total, [&](int64_t kept) {
      snapshot.restore();
      chosen.assign(names.size(), {});
      for (int64_t i = 0; i < kept; ++i)
        chosen[ranked[static_cast<size_t>(i)].group].push_back(
            ranked[static_cast<size_t>(i)].channel);
      for (size_t g = 0; g < names.size(); ++g)
        if (!chosen[g].empty()) net.duplicate(names[g], chosen[g]);
    });

    GrowthResult result;
    result.bound_by = fit.bound_by;
    for (const auto& group : net.groups()) {
      const auto it = std::find(names.begin(), names.end(), group.name);
      const size_t g = static_cast<size_t>(it - names.begin());
      result.split.push_back(it == names.end() ? 0 : static_cast<int64_t>(chosen[g].size()));
      result.fresh.push_back(0);
    }
    for (size_t g = 0; g < names.size(); ++g) {
      auto values = scores[g].to(torch::kCPU, torch::kDouble).contiguous();
      result.records["scores." + names[g]] = std::vector<double>(
          values.data_ptr<double>(), values.data_ptr<double>() + values.numel());
      result.records["split." + names[g]] = chosen[g];
    }
    result.metrics["candidates"] = static_cast<double>(total);
    log_info("taylor-split: split " + std::to_string(fit.kept) + " of " + std::to_string(total) +
             " ranked channels (bound by " + fit.bound_by + ")");
    return result;
  }

 private:
  // |sum over batches, samples and positions of a * dL/da| per channel of each group. Scored in
  // eval mode, so BatchNorm's running statistics stay as trained. With several ranks each scores
  // its share of every batch (the mean loss weighted by the share) and the sums are added over
  // the ranks, so every rank ranks the same channels.
  std::vector<torch::Tensor> taylor_scores(GrowableNet& net, GrowthContext& context,
                                           const std::vector<std::string>& names) {
    std::vector<torch::Tensor> sums(names.size());
    std::vector<GroupObservation> taps;
    for (size_t g = 0; g < names.size(); ++g) {
      taps.push_back(
          net.observe(names[g], {}, [&sums, g](const torch::Tensor& a, const torch::Tensor& grad) {
            std::vector<int64_t> dims = {0};
            for (int64_t d = 2; d < a.dim(); ++d) dims.push_back(d);
            torch::Tensor term = (a * grad).sum(dims);
            sums[g] = sums[g].defined() ? sums[g] + term : term;
          }));
    }
    const bool was_training = net.is_training();
    net.eval();
    int64_t done = 0;
    {
      // Only the activations' gradients are needed: frozen weights get none computed.
      const RequiresGradScope frozen(net);
      context.for_each_shard(
          [&](const torch::Tensor& images, const torch::Tensor& labels, double share) {
            (share * torch::nn::functional::cross_entropy(net.forward(images), labels)).backward();
            report_progress("taylor-split scoring batches", ++done, options_.batches);
          },
          options_.batches);
    }
    net.zero_grad();  // no stale gradient of the old shapes survives the surgery
    net.train(was_training);
    taps.clear();  // stop observing before the surgery
    for (size_t g = 0; g < names.size(); ++g)
      if (!sums[g].defined())
        throw std::runtime_error("taylor-split: group " + names[g] + " reported no gradient");
    context.sum_across_ranks(sums);
    for (auto& sum : sums) sum = sum.abs();
    return sums;
  }

  TaylorOptions options_;
};

}  // namespace
}  // namespace gear::plugins::taylor_split

GEAR_PLUGIN("gear-example-taylor-split", "0.1.0", "example: Taylor-importance channel splitting") {
  r.add_growth<gear::plugins::taylor_split::TaylorSplit>(
      "taylor-split", "split the channels with the largest first-order Taylor importance");
}
