#include "osg_strategy.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/rmsprop.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>

#include "gear/log.h"
#include "gear/requires_grad_scope.h"
#include "growth_options.h"
#include "selection.h"
#include "tap_scores.h"

namespace gear::plugins::growth {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

OsgStrategy::OsgStrategy(const Config& options)
    : config_(options), options_(binder().read(options)) {}

const OptionBinder<OsgOptions>& OsgStrategy::binder() {
  static const OptionBinder<OsgOptions> binder = [] {
    OptionBinder<OsgOptions> b;
    b.include(&OsgOptions::growth, growth_binder());
    b.bind("candidates", &OsgOptions::candidates,
           "fresh candidate channels per group (Firefly's K)")
        .at_least(0);
    b.bind("epochs", &OsgOptions::epochs, "epochs of candidate training before the scoring pass")
        .at_least(0);
    b.bind("batches", &OsgOptions::batches,
           "batches per candidate epoch and scoring pass (0 = the whole training split)")
        .at_least(0);
    b.bind("lr", &OsgOptions::lr, "RMSprop learning rate of the candidate phase").range(0.0, 1.0);
    b.bind("momentum", &OsgOptions::momentum, "RMSprop momentum of the candidate phase")
        .range(0.0, 1.0);
    b.bind("alpha", &OsgOptions::alpha, "RMSprop smoothing constant of the candidate phase")
        .range(0.0, 1.0);
    b.bind("penalty", &OsgOptions::penalty, "L2 penalty on the split directions v").at_least(0.0);
    b.bind("fresh_penalty", &OsgOptions::fresh_penalty,
           "L2 penalty on fresh incoming weights, relative to penalty")
        .at_least(0.0);
    OptionBinder<CandidateInit> init;
    init.bind("split_init", &CandidateInit::split,
              "split directions start U(-split_init, split_init)")
        .at_least(0.0);
    init.bind("fresh_in_init", &CandidateInit::fresh_in,
              "fresh incoming weights start N(0, fresh_in_init^2)")
        .at_least(0.0);
    init.bind("fresh_out_init", &CandidateInit::fresh_out, "fresh outgoing weights start U(-x, x)")
        .at_least(0.0);
    b.include(&OsgOptions::init, init);
    b.bind("tap_scores", &OsgOptions::tap_scores,
           "score the groups whose channels come from one producer and norm from the activations "
           "and gradients at their taps (the same scores, without weight gradients); false: "
           "every group from its weight gradients");
    b.bind("average_pairs", &OsgOptions::average_pairs,
           "where the architecture has a consumer tap for a group, its consumers read each split "
           "pair's mean, as Firefly's forward does (the same candidate network and gradients, "
           "C + K instead of 2C + K input channels); false: both children, half a column each");
    return b;
  }();
  return binder;
}

OptionSchema OsgStrategy::schema() { return binder().schema(); }

GrowthResult OsgStrategy::grow(GrowableNet& net, GrowthContext& context) {
  // Named references, not structured bindings: lambdas below capture them (C++17).
  const GrowthScope scope = scope_of(net, options_.growth, config_);
  const std::vector<std::string>& names = scope.names;
  const std::vector<std::string>& sets = scope.sets;
  const std::vector<int64_t>& widths = scope.widths;
  const bool was_training = net.is_training();
  net.eval();  // BatchNorm statistics stay frozen while candidates are evaluated

  auto start = std::chrono::steady_clock::now();
  CandidateNet candidates(net, names, options_.candidates, options_.init, context.generator(),
                          options_.average_pairs);
  int64_t averaged = 0;
  for (size_t g = 0; g < names.size(); ++g) averaged += candidates.averages_pairs(g) ? 1 : 0;
  torch::optim::RMSprop optimizer(
      candidates.parameters(),
      torch::optim::RMSpropOptions(options_.lr).alpha(options_.alpha).momentum(options_.momentum));
  // In a data-parallel run each rank holds `share` of every global batch: its mean loss weighted
  // by the share, with the gradients summed over the ranks, is the global batch's on every rank.
  int64_t candidate_macs = 0;     // per sample, measured once on the rendered candidate net
  // Only the tensors candidates are rendered into need weight gradients; with the norms frozen
  // their evaluation-mode passes are one each way (gear::batch_norm_act). Declared before `taps`,
  // whose narrower scope must be undone first, also when a pass throws.
  const auto rendered = [&candidates](const torch::Tensor& p) { return candidates.trains(p); };
  std::optional<RequiresGradScope> frozen;
  std::optional<TapScores> taps;  // during the scoring pass
  auto forward_backward = [&](const torch::Tensor& images, const torch::Tensor& labels,
                              double share) {
    candidates.render_candidates();
    if (candidate_macs == 0) candidate_macs = net.macs(images.sizes().slice(1).vec());
    torch::Tensor loss = torch::nn::functional::cross_entropy(net.forward(images), labels);
    (share == 1.0 ? loss : loss * share).backward();
    candidates.pull_gradients();
    return share * loss.item<double>();
  };
  auto clear_gates = [&] {
    for (size_t g = 0; g < names.size(); ++g) candidates.gate(g).mutable_grad() = torch::Tensor();
  };

  // Candidate phase: train v, vno, vni only, with Firefly's L2 penalty.
  double candidate_loss = 0.0;
  int64_t steps = 0;
  // batches limits each pass; the host then prepares no batch past it.
  const std::vector<torch::Tensor> trained = candidates.parameters();
  frozen.emplace(net, rendered);
  for (int64_t epoch = 0; epoch < options_.epochs; ++epoch) {
    context.for_each_shard(
        [&](const torch::Tensor& images, const torch::Tensor& labels, double share) {
          candidate_loss += forward_backward(images, labels, share);
          std::vector<torch::Tensor> grads;
          for (const auto& p : trained)
            if (p.grad().defined()) grads.push_back(p.grad());
          context.sum_across_ranks(grads);
          // The penalty is the same on every rank: added once, after the sum.
          torch::Tensor penalty = torch::zeros({}, images.options());
          for (const auto& v : candidates.split_directions()) penalty = penalty + v.pow(2).sum();
          for (const auto& w : candidates.fresh_inputs())
            penalty = penalty + options_.fresh_penalty * w.pow(2).sum();
          (options_.penalty * penalty).backward();
          optimizer.step();
          optimizer.zero_grad();
          clear_gates();
          ++steps;
        },
        options_.batches);
    gear::report_progress("osg candidate epochs", epoch + 1, options_.epochs);
  }
  const double candidate_seconds = seconds_since(start);
  frozen.reset();

  // Scoring pass: the mean gate gradient of every candidate (tap scoring narrows the scope to
  // the weight path's producers).
  start = std::chrono::steady_clock::now();
  frozen.emplace(net, rendered);
  clear_gates();
  double score_loss = 0.0;
  int64_t batches = 0, tap_scored = 0;
  context.for_each_shard(
      [&](const torch::Tensor& images, const torch::Tensor& labels, double share) {
        if (options_.tap_scores && !taps) {
          taps.emplace(net, candidates, images.sizes().slice(1).vec());
          taps->begin();
          tap_scored = taps->count();
        }
        score_loss += forward_backward(images, labels, share);
        optimizer.zero_grad();
        ++batches;
      },
      options_.batches);
  taps.reset();
  frozen.reset();
  if (batches == 0) throw std::runtime_error("osg: the training split yielded no batch to score");
  // The gates' share-weighted gradients, and the losses, summed over the ranks in one exchange.
  std::vector<torch::Tensor> sums;
  for (size_t g = 0; g < names.size(); ++g) {
    torch::Tensor& gate = candidates.gate(g);
    if (!gate.grad().defined()) gate.mutable_grad() = torch::zeros_like(gate);
    sums.push_back(gate.grad());
  }
  torch::Tensor losses = torch::tensor({candidate_loss, score_loss}, torch::kDouble);
  sums.push_back(losses);
  context.sum_across_ranks(sums);
  candidate_loss = losses[0].item<double>();
  score_loss = losses[1].item<double>();
  std::vector<std::vector<double>> scores;
  for (size_t g = 0; g < names.size(); ++g) {
    torch::Tensor grad = candidates.gate(g).grad();
    grad = (grad / static_cast<double>(batches)).to(torch::kCPU, torch::kDouble).contiguous();
    scores.emplace_back(grad.data_ptr<double>(), grad.data_ptr<double>() + grad.numel());
  }
  const double scoring_seconds = seconds_since(start);

  // Global ranking per budget set, kept count fitted to the budget.
  start = std::chrono::steady_clock::now();
  const std::vector<RankedSet> ranked =
      rank_candidates(scores, sets, widths, options_.growth.gamma);
  const int64_t total = sum_of(targets_of(ranked));
  BudgetFit fit = fit_to_budget(net, context, total, [&](int64_t kept) {
    candidates.materialize(choose(ranked, widths, kept));
  });
  net.train(was_training);
  for (auto& p : net.parameters())
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();

  std::vector<int64_t> split, fresh;
  for (const auto& c : choose(ranked, widths, fit.kept)) {
    split.push_back(static_cast<int64_t>(c.split.size()));
    fresh.push_back(static_cast<int64_t>(c.fresh.size()));
  }
  // Scores of what was kept: Firefly keeps its quota even where a score is positive.
  const std::vector<int64_t> counts = share(targets_of(ranked), fit.kept);
  double kept_score = 0.0, threshold = -std::numeric_limits<double>::infinity();
  int64_t offered = 0;
  for (size_t s = 0; s < ranked.size(); ++s) {
    offered += static_cast<int64_t>(ranked[s].order.size());
    for (int64_t i = 0; i < counts[s]; ++i) {
      const double score = ranked[s].order[static_cast<size_t>(i)].score;
      kept_score += score;
      threshold = std::max(threshold, score);
    }
  }
  GrowthResult result = make_result(net, names, split, fresh);
  result.bound_by = fit.bound_by;
  const auto kept = static_cast<double>(fit.kept);
  result.metrics = {{"candidate_seconds", candidate_seconds},
                    {"scoring_seconds", scoring_seconds},
                    {"selection_seconds", seconds_since(start)},
                    {"candidate_steps", static_cast<double>(steps)},
                    {"candidate_macs", static_cast<double>(candidate_macs)},
                    {"tap_scored_groups", static_cast<double>(tap_scored)},
                    {"pair_averaged_groups", static_cast<double>(averaged)},
                    {"candidate_loss", steps ? candidate_loss / static_cast<double>(steps) : 0.0},
                    {"scoring_loss", score_loss / static_cast<double>(batches)},
                    {"candidates", static_cast<double>(offered)},
                    {"target", static_cast<double>(total)},
                    {"kept", kept},
                    {"mean_kept_score", fit.kept ? kept_score / kept : 0.0},
                    {"score_threshold", fit.kept ? threshold : 0.0}};
  return result;
}

}  // namespace gear::plugins::growth
