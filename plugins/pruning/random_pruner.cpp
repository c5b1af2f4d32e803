#include "random_pruner.h"

namespace gear::plugins::pruning {

ChannelScores RandomPruner::scores(GrowableNet& net, PruningContext& context) {
  ChannelScores scores;
  for (const auto& group : net.groups()) {
    torch::Tensor draws = torch::rand({net.width(group.name)}, context.generator(),
                                      torch::TensorOptions().dtype(torch::kDouble));
    scores.emplace_back(draws.data_ptr<double>(), draws.data_ptr<double>() + draws.numel());
  }
  return scores;
}

}  // namespace gear::plugins::pruning
