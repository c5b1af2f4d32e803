// OSG's gate gradients read at the group taps equal the ones pulled back from the weight
// gradients (in double), the tap groups' producers compute no weight gradient, and groups the
// taps cannot score (a residual stream with several producers) keep the weight path.

#include "tap_scores.h"

#include <gtest/gtest.h>
#include <torch/nn/functional/loss.h>

#include <optional>

#include "candidate_net.h"
#include "test_support.h"
#include "toy_net.h"

namespace gear::plugins::growth {
namespace {

torch::Generator tap_generator(uint64_t seed) { return host::make_generator(torch::kCPU, seed); }

std::vector<std::string> growable_groups(const GrowableNet& net) {
  std::vector<std::string> names;
  for (const auto& g : net.groups())
    if (g.growable) names.push_back(g.name);
  return names;
}

struct TapScored {
  std::vector<torch::Tensor> gates;
  int64_t at_tap = 0;
  std::vector<bool> producer_grads;  // per group: did its first producer weight get a grad
};

// One scoring step on `x`: with `taps`, the tap path, else every group by its weight gradients.
TapScored score(GrowableNet& net, CandidateNet& candidates, const torch::Tensor& x,
                const torch::Tensor& y, bool taps) {
  for (size_t g = 0; g < candidates.groups().size(); ++g)
    candidates.gate(g).mutable_grad() = torch::Tensor();
  TapScored out;
  std::optional<TapScores> tap;
  if (taps) {
    tap.emplace(net, candidates, std::vector<int64_t>{1, 28, 28});
    tap->begin();
    out.at_tap = tap->count();
  }
  candidates.render_candidates();
  torch::Tensor loss = torch::nn::functional::cross_entropy(net.forward(x), y);
  loss.backward();
  for (const auto& name : candidates.groups()) {
    bool grad = false;
    for (const auto& tied : net.tied_tensors(name))
      if (tied.dim == 0 && tied.role == TieRole::kProducerWeight) {
        grad = tied.tensor.grad().defined();
        break;
      }
    out.producer_grads.push_back(grad);
  }
  candidates.pull_gradients();
  for (size_t g = 0; g < candidates.groups().size(); ++g)
    out.gates.push_back(candidates.gate(g).grad().clone());
  return out;
}

void expect_tap_scores_equal_weight_scores(GrowableNet& net, int64_t expected_at_tap) {
  net.to(torch::kDouble);
  const std::vector<std::string> names = growable_groups(net);
  auto gen = tap_generator(21);
  CandidateInit init;
  init.fresh_out = 0.3;  // fresh channels that move the loss
  CandidateNet candidates(net, names, 3, init, gen);
  const torch::Tensor x = torch::randn({6, 1, 28, 28}, tap_generator(22)).to(torch::kDouble);
  const torch::Tensor y = torch::randint(10, {6}, tap_generator(23), torch::kLong);
  const TapScored weights = score(net, candidates, x, y, false);
  const TapScored taps = score(net, candidates, x, y, true);
  EXPECT_EQ(taps.at_tap, expected_at_tap);
  TapScores probe(net, candidates, {1, 28, 28});
  double largest = 0.0;
  for (size_t g = 0; g < names.size(); ++g) {
    const torch::Tensor diff = (taps.gates[g] - weights.gates[g]).abs().max();
    EXPECT_LT(diff.item<double>(), 1e-10 * (1.0 + weights.gates[g].abs().max().item<double>()))
        << names[g];
    largest = std::max(largest, weights.gates[g].abs().max().item<double>());
    // Only the groups left to the weight path compute their producer's weight gradient.
    EXPECT_TRUE(weights.producer_grads[g]) << names[g];
    EXPECT_EQ(taps.producer_grads[g], !probe.at_tap(g)) << names[g];
  }
  EXPECT_GT(largest, 1e-6);  // the scores are not trivially zero
  for (const auto& p : net.parameters()) EXPECT_TRUE(p.requires_grad());  // end() restored them
}

TEST(TapScores, VggGroupsAreAllScoredAtTheirTapsAsByTheirWeights) {
  auto net = test::build_vgg(0.0625, 3);
  expect_tap_scores_equal_weight_scores(*net, static_cast<int64_t>(growable_groups(*net).size()));
}

// OSG's default: tap scores while the consumers read split pairs' means, against the weight
// path with both children read (two candidate nets drawn alike, one after the other).
TEST(TapScores, VggTapScoresWithPairAveragingEqualWeightScoresWithBothChildren) {
  auto net = test::build_vgg(0.0625, 3);
  net->to(torch::kDouble);
  const std::vector<std::string> names = growable_groups(*net);
  const torch::Tensor x = torch::randn({6, 1, 28, 28}, tap_generator(22)).to(torch::kDouble);
  const torch::Tensor y = torch::randint(10, {6}, tap_generator(23), torch::kLong);
  CandidateInit init;
  init.fresh_out = 0.3;
  auto scored = [&](bool average_pairs, bool taps) {
    auto gen = tap_generator(21);
    CandidateNet candidates(*net, names, 3, init, gen, average_pairs);
    EXPECT_EQ(candidates.averages_pairs(0), average_pairs);
    TapScored out = score(*net, candidates, x, y, taps);
    candidates.restore();
    return out;
  };
  const TapScored weights = scored(false, false);
  const TapScored taps = scored(true, true);
  EXPECT_EQ(taps.at_tap, static_cast<int64_t>(names.size()));
  for (size_t g = 0; g < names.size(); ++g) {
    const double scale = weights.gates[g].abs().max().item<double>();
    EXPECT_GT(scale, 0.0) << names[g];
    EXPECT_LT((taps.gates[g] - weights.gates[g]).abs().max().item<double>(), 1e-10 * (1 + scale))
        << names[g];
  }
}

TEST(TapScores, ResNetStreamsKeepTheWeightPathAndInnerGroupsUseTheirTaps) {
  torch::manual_seed(4);
  auto net = test::build_net("resnet18", {1, 28, 28}, 0.0625);
  test::settle(*net, torch::randn({8, 1, 28, 28}));
  int64_t inner = 0;
  for (const auto& name : growable_groups(*net)) inner += net->group(name).members.size() == 3;
  ASSERT_GT(inner, 0);
  ASSERT_LT(inner, static_cast<int64_t>(growable_groups(*net).size()));
  expect_tap_scores_equal_weight_scores(*net, inner);
}

}  // namespace
}  // namespace gear::plugins::growth
