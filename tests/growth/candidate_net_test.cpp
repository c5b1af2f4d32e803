// The candidate net: function preservation of splits and fresh channels, the exact values a
// materialised split writes, restore, and the gate gradient against finite differences.

#include "candidate_net.h"

#include <gtest/gtest.h>
#include <torch/nn/functional/loss.h>

#include "test_support.h"
#include "toy_net.h"

namespace gear::plugins::growth {
namespace {

using test::make_toy;
using test::outputs;

torch::Generator generator(uint64_t seed) { return host::make_generator(torch::kCPU, seed); }

void zero(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (auto t : tensors) t.zero_();
}

const torch::Tensor& probe() {
  static torch::Tensor x = torch::randn({7, 2, 6, 6}, generator(11));
  return x;
}

TEST(CandidateNet, EveryCandidateWidensEveryTiedTensor) {
  auto net = make_toy();
  auto gen = generator(1);
  CandidateNet candidates(*net, {"a", "b"}, 5, {}, gen);
  candidates.render_candidates();
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{4 + 4 + 5, 3 + 3 + 5}));
  EXPECT_EQ(net->dw_->options.groups(), 13);
  EXPECT_EQ(net->fc_->weight.sizes(), (std::vector<int64_t>{5, 11 * 4}));
  EXPECT_EQ(outputs(*net, probe()).sizes(), (std::vector<int64_t>{7, 5}));
}

TEST(CandidateNet, SplitWithZeroDirectionAndHalvedColumnsKeepsOutputs) {
  auto net = make_toy();
  const torch::Tensor before = outputs(*net, probe());
  auto gen = generator(2);
  CandidateNet candidates(*net, {"a", "b"}, 0, {}, gen);
  zero(candidates.split_directions());
  candidates.render_candidates();
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{8, 6}));
  EXPECT_TRUE(torch::allclose(outputs(*net, probe()), before, 1e-5, 1e-5));
  // The same with the splits materialised (each child feeds half of the consumer column).
  candidates.materialize({{{0, 2, 3}, {}}, {{1}, {}}});
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{7, 4}));
  EXPECT_TRUE(torch::allclose(outputs(*net, probe()), before, 1e-5, 1e-5));
}

TEST(CandidateNet, FreshChannelsWithZeroOutgoingWeightsKeepOutputs) {
  auto net = make_toy();
  const torch::Tensor before = outputs(*net, probe());
  auto gen = generator(3);
  CandidateNet candidates(*net, {"a", "b"}, 6, {}, gen);
  zero(candidates.fresh_outputs());
  candidates.materialize({{{}, {0, 1, 5}}, {{}, {2, 3}}});
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{7, 5}));
  // The fresh channels are live (random incoming weights), only their outgoing weights are 0.
  EXPECT_GT(net->conv1_->weight.slice(0, 4).abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(torch::allclose(outputs(*net, probe()), before, 1e-5, 1e-5));
}

TEST(CandidateNet, MaterialisedSplitIsThetaPlusMinusVWithHalvedConsumerColumns) {
  auto net = make_toy();
  const torch::Tensor w1 = net->conv1_->weight.detach().clone();
  const torch::Tensor w2 = net->conv2_->weight.detach().clone();
  const torch::Tensor bn_mean = net->bn1_->running_mean.clone();
  auto gen = generator(4);
  CandidateNet candidates(*net, {"a"}, 2, {}, gen);
  const torch::Tensor v = candidates.split_directions().at(0).detach();
  candidates.materialize({{{2}, {}}});
  ASSERT_EQ(net->width("a"), 5);
  const torch::Tensor w = net->conv1_->weight.detach();
  EXPECT_TRUE(torch::allclose(w[2], w1[2] + v[2]));
  EXPECT_TRUE(torch::allclose(w[4], w1[2] - v[2]));
  EXPECT_TRUE(torch::equal(w[0], w1[0]));  // not chosen: untouched
  EXPECT_FLOAT_EQ(net->bn1_->running_mean[4].item<float>(), bn_mean[2].item<float>());
  const torch::Tensor c = net->conv2_->weight.detach();
  EXPECT_TRUE(torch::allclose(c.select(1, 2), w2.select(1, 2) / 2));
  EXPECT_TRUE(torch::allclose(c.select(1, 4), w2.select(1, 2) / 2));
  EXPECT_TRUE(torch::equal(c.select(1, 1), w2.select(1, 1)));
  // The depthwise filter of the child is its parent's.
  EXPECT_TRUE(torch::equal(net->dw_->weight[4], net->dw_->weight[2]));
}

TEST(CandidateNet, RestoreGivesBackTheOriginalNet) {
  auto net = make_toy();
  const torch::Tensor before = outputs(*net, probe());
  const int64_t params = net->params();
  auto gen = generator(5);
  CandidateNet candidates(*net, {"a", "b"}, 4, {}, gen);
  candidates.render_candidates();
  EXPECT_FALSE(torch::allclose(outputs(*net, probe()), before, 1e-5, 1e-5));
  candidates.restore();
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(net->params(), params);
  EXPECT_TRUE(torch::equal(outputs(*net, probe()), before));
}

// ∂L/∂gate is the first-order loss change of scaling a candidate's perturbation by (1 + gate).
TEST(CandidateNet, GateGradientMatchesFiniteDifference) {
  auto net = make_toy(7);
  net->to(torch::kDouble);
  const torch::Tensor x = probe().to(torch::kDouble);
  const torch::Tensor y = torch::randint(5, {7}, generator(8), torch::kLong);
  auto gen = generator(9);
  CandidateInit init;
  init.fresh_out = 0.3;  // large enough that fresh channels move the loss measurably
  CandidateNet candidates(*net, {"a", "b"}, 3, init, gen);
  auto loss = [&] {
    candidates.render_candidates();
    return torch::nn::functional::cross_entropy(net->forward(x), y);
  };
  loss().backward();
  candidates.pull_gradients();
  const torch::Tensor grad_a = candidates.gate(0).grad().clone();
  const torch::Tensor grad_b = candidates.gate(1).grad().clone();
  const double h = 1e-4;
  auto finite_difference = [&](size_t group, int64_t index) {
    torch::NoGradGuard no_grad;
    torch::Tensor gate = candidates.gate(group);
    gate[index] = h;
    const double up = loss().item<double>();
    gate[index] = -h;
    const double down = loss().item<double>();
    gate[index] = 0.0;
    return (up - down) / (2 * h);
  };
  // Split candidates (index < width) and fresh ones, in both groups.
  for (int64_t i : {0, 3, 4, 6}) {
    const double fd = finite_difference(0, i);
    EXPECT_NEAR(grad_a[i].item<double>(), fd, 1e-6 + 1e-4 * std::abs(fd)) << "group a, " << i;
  }
  for (int64_t i : {1, 2, 3, 5}) {
    const double fd = finite_difference(1, i);
    EXPECT_NEAR(grad_b[i].item<double>(), fd, 1e-6 + 1e-4 * std::abs(fd)) << "group b, " << i;
  }
  EXPECT_GT(grad_a.abs().sum().item<double>(), 1e-6);  // not trivially zero
}

TEST(CandidateNet, VggSplitAndFreshKeepOutputs) {
  auto net = test::build_vgg(0.0625);
  const torch::Tensor x = torch::randn({3, 1, 28, 28}, generator(12));
  const torch::Tensor before = outputs(*net, x);
  std::vector<std::string> names;
  for (const auto& g : net->groups())
    if (g.growable) names.push_back(g.name);
  auto gen = generator(13);
  CandidateNet candidates(*net, names, 4, {}, gen);
  zero(candidates.split_directions());
  zero(candidates.fresh_outputs());
  candidates.render_candidates();
  EXPECT_TRUE(torch::allclose(outputs(*net, x), before, 1e-5, 1e-5));
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(net->width(names[i]), 2 * candidates.width(i) + 4);
}

}  // namespace
}  // namespace gear::plugins::growth

namespace gear::plugins::growth {
namespace {

// A choice outside the candidates is refused before anything is written: the last valid split
// channel is width - 1 and the last fresh candidate fresh - 1; one past each is out of range.
TEST(CandidateNet, MaterializeRefusesChoicesOnePastTheLastCandidate) {
  auto net = test::make_toy();
  auto gen = generator(5);
  CandidateNet candidates(*net, {"a", "b"}, 2, {}, gen);
  EXPECT_THROW(candidates.materialize({{{4}, {}}, {{}, {}}}), std::out_of_range);
  EXPECT_THROW(candidates.materialize({{{}, {}}, {{3}, {}}}), std::out_of_range);
  EXPECT_THROW(candidates.materialize({{{}, {2}}, {{}, {}}}), std::out_of_range);
  EXPECT_THROW(candidates.materialize({{{-1}, {}}, {{}, {}}}), std::out_of_range);
  EXPECT_THROW(candidates.materialize({{{0}, {}}}), std::invalid_argument);
  candidates.materialize({{{3}, {1}}, {{2}, {}}});
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{4 + 2, 3 + 1}));
}

}  // namespace
}  // namespace gear::plugins::growth
