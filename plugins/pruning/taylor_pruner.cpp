#include "taylor_pruner.h"

#include <gear/requires_grad_scope.h>
#include <torch/nn/functional/loss.h>

#include <stdexcept>

namespace gear::plugins::pruning {
TaylorPruner::TaylorPruner(const Config& options)
    : RankingPruner(options), batches_(options.get<int64_t>("batches")) {}

OptionSchema TaylorPruner::schema() {
  return RankingPruner::schema()
      .add_int("batches", 0, "training batches the scores are summed over (0: one whole epoch)")
      .range(0, 1e9);
}

ChannelScores TaylorPruner::taylor_scores(GrowableNet& net, PruningContext& context,
                                          int64_t batches) {
  const auto& groups = net.groups();
  std::vector<torch::Tensor> sums(groups.size());
  std::vector<GroupObservation> observations;
  for (size_t g = 0; g < groups.size(); ++g) {
    if (!groups[g].growable) continue;  // never pruned (the classifier's output)
    if (!net.group_tapped(groups[g].name))
      throw std::invalid_argument("taylor: the architecture has no tap on channel group '" +
                                  groups[g].name + "'; list it in ignore");
    sums[g] = torch::zeros({net.width(groups[g].name)}, torch::kDouble);
    observations.push_back(net.observe(
        groups[g].name, {}, [&sums, g](const torch::Tensor& a, const torch::Tensor& grad) {
          std::vector<int64_t> dims = {0};
          for (int64_t d = 2; d < a.dim(); ++d) dims.push_back(d);
          // The products in the activations' precision, their sum in double: two fewer
          // full-size double copies per tap.
          sums[g] += (a * grad).sum(dims, /*keepdim=*/false, torch::kDouble).to(torch::kCPU);
        }));
  }
  const bool was_training = net.is_training();
  net.eval();
  // The scores need only the activations' gradients: with the weights frozen, the backward pass
  // starts at the first tap (see GradientObserver) and computes no weight gradients, which cost
  // as much as the gradients into the activations.
  const RequiresGradScope frozen(net);
  // Sums over samples: each rank sums its shares, and the ranks' sums add up to the whole's.
  context.for_each_shard(
      [&](const torch::Tensor& images, const torch::Tensor& labels, double) {
        torch::Tensor loss = torch::nn::functional::cross_entropy(
            net.forward(images), labels,
            torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
        loss.backward();
      },
      batches);
  observations.clear();
  std::vector<torch::Tensor> defined;
  for (const auto& s : sums)
    if (s.defined()) defined.push_back(s);
  context.sum_across_ranks(defined);
  net.zero_grad();
  net.train(was_training);
  ChannelScores out(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    if (!sums[g].defined()) {
      out[g].assign(static_cast<size_t>(net.width(groups[g].name)), 0.0);
      continue;
    }
    torch::Tensor s = sums[g].abs().contiguous();
    out[g].assign(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
  }
  return out;
}

ChannelScores TaylorPruner::scores(GrowableNet& net, PruningContext& context) {
  return taylor_scores(net, context, batches_);
}

}  // namespace gear::plugins::pruning
