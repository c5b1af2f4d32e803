#include "random_pruner.h"

namespace gear::plugins::pruning {

RandomPruner::RandomPruner(const Config& options)
    : options_(options), ranking_(ranking_binder().read(options)) {}

OptionSchema RandomPruner::schema() { return ranking_binder().schema(); }

PruneResult RandomPruner::prune(GrowableNet& net, PruningContext& context) {
  ChannelScores scores;
  for (const auto& group : net.groups()) {
    torch::Tensor draws = torch::rand({net.width(group.name)}, context.generator(),
                                      torch::TensorOptions().dtype(torch::kDouble));
    scores.emplace_back(draws.data_ptr<double>(), draws.data_ptr<double>() + draws.numel());
  }
  return remove_lowest(net, scores, context.target(), ranking_, options_);
}

}  // namespace gear::plugins::pruning
