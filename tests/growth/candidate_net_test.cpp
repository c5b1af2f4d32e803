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

// What two candidate batches on a net give: losses, gradients of v, vno, vni and of the gates,
// the candidate net's MACs, and the outputs once a choice is materialised.
struct CandidateSteps {
  std::vector<double> losses;
  std::vector<torch::Tensor> grads;
  int64_t macs = 0;
  std::vector<int64_t> consumer_columns;  // per consumer tensor of each group, while rendered
  std::vector<bool> averaged;
  torch::Tensor materialised;
};

CandidateSteps two_candidate_steps(GrowableNet& net, bool average_pairs, const torch::Tensor& x,
                                   const torch::Tensor& y, const std::vector<GroupChoice>& choice) {
  std::vector<std::string> names;
  for (const auto& g : net.groups())
    if (g.growable) names.push_back(g.name);
  auto gen = generator(31);
  CandidateInit init;
  init.fresh_out = 0.3;  // fresh channels that move the loss
  CandidateNet candidates(net, names, 3, init, gen, average_pairs);
  CandidateSteps out;
  for (size_t g = 0; g < names.size(); ++g) out.averaged.push_back(candidates.averages_pairs(g));
  for (int step = 0; step < 2; ++step) {
    candidates.render_candidates();
    if (step == 0) {
      out.macs = net.macs({x.size(1), x.size(2), x.size(3)});
      for (const auto& name : names)
        for (const auto& tied : net.tied_tensors(name))
          if (tied.dim == 1) out.consumer_columns.push_back(tied.tensor.size(1) / tied.block);
    }
    torch::Tensor loss = torch::nn::functional::cross_entropy(net.forward(x), y);
    loss.backward();
    candidates.pull_gradients();
    out.losses.push_back(loss.item<double>());
    torch::NoGradGuard no_grad;
    for (auto p : candidates.parameters()) {
      out.grads.push_back(p.grad().clone());
      p.add_(p.grad(), -0.5);  // the next batch renders other values
      p.mutable_grad() = torch::Tensor();
    }
    for (size_t g = 0; g < names.size(); ++g) {
      out.grads.push_back(candidates.gate(g).grad().clone());
      candidates.gate(g).mutable_grad() = torch::Tensor();
    }
  }
  candidates.materialize(choice);
  out.materialised = outputs(net, x);
  candidates.restore();
  return out;
}

// Reading each split pair's mean is the same candidate network: the same losses and gradients
// (in double), fewer MACs (the consumers read C + K channels), the same net once materialised.
// Exact only where the consumer tap sits where the consumers read (a tap before a pool or a
// nonlinearity would average too early), so every architecture is checked.
class PairAveraging : public ::testing::TestWithParam<std::string> {};

TEST_P(PairAveraging, ChangesNoValueAndCutsTheConsumersColumns) {
  torch::manual_seed(6);
  auto net = test::build_net(GetParam(), {1, 28, 28}, 0.0625);
  net->to(torch::kDouble);
  test::settle(*net, torch::randn({8, 1, 28, 28}, torch::kDouble));
  const torch::Tensor x = torch::randn({5, 1, 28, 28}, generator(32)).to(torch::kDouble);
  const torch::Tensor y = torch::randint(10, {5}, generator(33), torch::kLong);
  const torch::Tensor before = outputs(*net, x);
  std::vector<int64_t> widths;
  std::vector<GroupChoice> choice;
  for (const auto& g : net->groups()) {
    if (!g.growable) continue;
    widths.push_back(net->width(g.name));
    choice.push_back({{0, widths.back() - 1}, {2}});
  }
  const CandidateSteps halves = two_candidate_steps(*net, false, x, y, choice);
  EXPECT_TRUE(torch::equal(outputs(*net, x), before));
  const CandidateSteps means = two_candidate_steps(*net, true, x, y, choice);
  EXPECT_TRUE(torch::equal(outputs(*net, x), before));

  size_t averaged = 0;
  for (size_t g = 0; g < widths.size(); ++g) {
    EXPECT_FALSE(halves.averaged[g]) << g;
    averaged += means.averaged[g] ? 1 : 0;
  }
  EXPECT_GT(averaged, 0u);
  // One entry per consumer tensor of each group, in the same order in both runs.
  ASSERT_EQ(means.consumer_columns.size(), halves.consumer_columns.size());
  for (size_t i = 0; i < means.consumer_columns.size(); ++i)
    EXPECT_LE(means.consumer_columns[i], halves.consumer_columns[i]) << i;
  EXPECT_LT(means.macs, halves.macs);
  ASSERT_EQ(means.losses.size(), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(means.losses[i], halves.losses[i], 1e-12) << i;
  EXPECT_NE(means.losses[0], means.losses[1]);  // the second batch rendered other values
  ASSERT_EQ(means.grads.size(), halves.grads.size());
  double largest = 0.0;
  for (size_t i = 0; i < means.grads.size(); ++i) {
    const double scale = halves.grads[i].abs().max().item<double>();
    largest = std::max(largest, scale);
    EXPECT_LT((means.grads[i] - halves.grads[i]).abs().max().item<double>(), 1e-10 * (1 + scale))
        << i;
  }
  EXPECT_GT(largest, 1e-6);
  EXPECT_TRUE(torch::allclose(means.materialised, halves.materialised, 1e-12, 1e-12));
}

INSTANTIATE_TEST_SUITE_P(Architectures, PairAveraging,
                         ::testing::Values("vgg11", "resnet18", "mobilenet_v1", "mobilenet_v2"));

// VGG reads every group through a consumer tap: every consumer gets C + K columns exactly.
TEST(CandidateNet, VggConsumersReadCPlusKChannelsWhileAveraging) {
  auto net = test::build_vgg(0.0625, 3);
  const torch::Tensor x = torch::randn({2, 1, 28, 28}, generator(35));
  const torch::Tensor y = torch::randint(10, {2}, generator(36), torch::kLong);
  const std::vector<int64_t> widths = net->widths();
  std::vector<GroupChoice> choice(widths.size());
  const CandidateSteps halves = two_candidate_steps(*net, false, x, y, choice);
  const CandidateSteps means = two_candidate_steps(*net, true, x, y, choice);
  EXPECT_EQ(means.averaged, std::vector<bool>(widths.size(), true));
  ASSERT_EQ(means.consumer_columns.size(), widths.size());
  for (size_t g = 0; g < widths.size(); ++g) {
    EXPECT_EQ(halves.consumer_columns[g], 2 * widths[g] + 3) << g;
    EXPECT_EQ(means.consumer_columns[g], widths[g] + 3) << g;
  }
}

// The tensors candidates are rendered into need gradients; norms and biases do not.
TEST(CandidateNet, TrainsTheWeightsItRendersAndNothingElse) {
  auto net = test::build_vgg(0.0625);
  auto gen = generator(37);
  std::vector<std::string> names;
  for (const auto& g : net->groups()) names.push_back(g.name);
  CandidateNet candidates(*net, names, 2, {}, gen);
  int64_t trained = 0;
  for (const auto& p : net->named_parameters()) {
    const bool weight = p.key().find("conv") == 0 || p.key() == "classifier.weight";
    const bool conv = weight && p.key().find(".weight") != std::string::npos;
    EXPECT_EQ(candidates.trains(p.value()), conv) << p.key();
    trained += conv ? 1 : 0;
  }
  EXPECT_EQ(trained, static_cast<int64_t>(names.size()) + 1);  // every conv and the classifier
  EXPECT_FALSE(candidates.trains(torch::zeros({1})));
}

TEST(CandidateNet, NetsWithoutConsumerTapsKeepBothChildren) {
  auto net = make_toy();
  auto gen = generator(34);
  CandidateNet candidates(*net, {"a", "b"}, 2, {}, gen, true);
  EXPECT_FALSE(candidates.averages_pairs(0));
  EXPECT_FALSE(candidates.averages_pairs(1));
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
