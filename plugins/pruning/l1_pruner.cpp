#include "l1_pruner.h"

namespace gear::plugins::pruning {

ChannelScores L1Pruner::l1_scores(const GrowableNet& net) {
  ChannelScores out;
  for (const auto& group : net.groups()) {
    torch::Tensor sum;
    int64_t producers = 0;
    for (const auto& t : net.tied_tensors(group.name)) {
      if (t.role != TieRole::kProducerWeight) continue;
      torch::Tensor rows = t.tensor.detach().abs().to(torch::kCPU, torch::kDouble);
      torch::Tensor mean = rows.reshape({rows.size(0), -1}).mean(1);
      sum = sum.defined() ? sum + mean : mean;
      ++producers;
    }
    std::vector<double> scores(static_cast<size_t>(net.width(group.name)), 0.0);
    if (producers > 0) {
      torch::Tensor s = (sum / static_cast<double>(producers)).contiguous();
      std::copy(s.data_ptr<double>(), s.data_ptr<double>() + s.numel(), scores.begin());
    }
    out.push_back(std::move(scores));
  }
  return out;
}

ChannelScores L1Pruner::scores(GrowableNet& net, PruningContext&) { return l1_scores(net); }

}  // namespace gear::plugins::pruning
