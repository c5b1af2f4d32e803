// The osg, random and net2wider strategies on small nets with a scripted context.

#include <gtest/gtest.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>

#include <map>

#include "../../growth_strategies/net2wider/net2wider_strategy.h"
#include "../../growth_strategies/osg/osg_strategy.h"
#include "../../growth_strategies/random/random_strategy.h"
#include "op_calls.h"
#include "selection.h"
#include "toy_net.h"

namespace gear::plugins::growth {
namespace {

using test::make_config;
using test::outputs;

using Batches = std::vector<std::pair<torch::Tensor, torch::Tensor>>;

// `count` batches of `batch` random images of `sample` [C, H, W] with labels of 10 classes.
Batches random_batches(int count, int64_t batch, std::vector<int64_t> sample, uint64_t seed,
                       torch::Dtype dtype = torch::kFloat) {
  Batches out;
  auto gen = host::make_generator(torch::kCPU, seed);
  sample.insert(sample.begin(), batch);
  for (int i = 0; i < count; ++i)
    out.emplace_back(torch::randn(sample, gen).to(dtype),
                     torch::randint(10, {batch}, gen, torch::kLong));
  return out;
}

Config osg_options(double gamma, int64_t candidates = 5) {
  return make_config(OsgStrategy::schema(), {{"gamma", gamma}, {"candidates", candidates}},
                     "stage.1");
}

TEST(Osg, KeepsFloorOfGammaTimesTheSumOfWidths) {
  auto net = test::make_toy();
  net->train();
  test::ScriptedContext context(test::toy_batches(4, 16), 1);
  OsgStrategy osg(osg_options(0.9));
  GrowthResult result = osg.grow(*net, context);
  // floor(0.9 * (4 + 3)) = 6 new channels, split ones and fresh ones together.
  EXPECT_EQ(sum_of(net->widths()), 7 + 6);
  EXPECT_EQ(sum_of(result.split) + sum_of(result.fresh), 6);
  EXPECT_EQ(result.split[0] + result.fresh[0], net->width("a") - 4);
  EXPECT_EQ(result.bound_by, "gamma");
  EXPECT_EQ(context.passes, 2);  // one candidate epoch, one scoring pass
  EXPECT_TRUE(net->is_training());
  EXPECT_GT(result.metrics.at("candidate_seconds"), 0.0);
  EXPECT_EQ(result.metrics.at("candidates"), 2 * 5 + 4 + 3);
  for (const auto& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Osg, BatchesLimitsTheCandidateAndScoringPasses) {
  auto net = test::make_toy();
  test::ScriptedContext context(test::toy_batches(5, 8), 1);
  Config options = make_config(
      OsgStrategy::schema(),
      {{"candidates", int64_t{3}}, {"batches", int64_t{2}}, {"epochs", int64_t{2}}}, "stage.1");
  GrowthResult result = OsgStrategy(options).grow(*net, context);
  EXPECT_EQ(result.metrics.at("candidate_steps"), 4);  // 2 epochs x 2 batches
  EXPECT_EQ(context.passes, 3);
}

TEST(Osg, StopsAtTheParamsBudgetAndSaysSo) {
  auto net = test::make_toy();
  Budget budget;
  budget.params = net->params() + 80;
  test::ScriptedContext context(test::toy_batches(3, 16), 2, budget);
  GrowthResult result = OsgStrategy(osg_options(0.9)).grow(*net, context);
  EXPECT_LE(net->params(), *budget.params);
  EXPECT_EQ(result.bound_by, "params");
  EXPECT_LT(sum_of(result.split) + sum_of(result.fresh), 6);
  EXPECT_GT(sum_of(net->widths()), 7);  // 80 params buy at least one channel of group b
}

TEST(Osg, GrowsVggThroughItsChannelGroups) {
  auto net = test::build_vgg(0.0625);
  const Batches batches = random_batches(2, 16, {1, 28, 28}, 4);
  test::ScriptedContext context(batches, 3);
  int64_t growable = 0;
  for (const auto& g : net->groups())
    if (g.growable) growable += net->width(g.name);
  const int64_t before = sum_of(net->widths());
  GrowthResult result = OsgStrategy(osg_options(0.5, 8)).grow(*net, context);
  EXPECT_EQ(sum_of(net->widths()) - before, growable / 2);
  EXPECT_EQ(outputs(*net, batches[0].first).sizes(), (std::vector<int64_t>{16, 10}));
}

// No architecture-specific code in the strategy: residual streams, depthwise followers and
// MobileNet-V1's two budget sets all go through the channel groups.
class OsgOnArchitecture : public ::testing::TestWithParam<std::string> {};

TEST_P(OsgOnArchitecture, GrowsEverySetByItsGammaShare) {
  torch::manual_seed(8);
  auto net = test::build_net(GetParam(), {3, 16, 16}, 0.0625);
  const Batches batches = random_batches(2, 8, {3, 16, 16}, 9);
  test::settle(*net, batches[0].first);
  std::map<std::string, int64_t> set_widths, set_growth;
  for (const auto& g : net->groups())
    if (g.growable) set_widths[g.set] += net->width(g.name);
  const auto before = net->widths();
  test::ScriptedContext context(batches, 3);
  GrowthResult result = OsgStrategy(osg_options(0.5, 4)).grow(*net, context);
  const auto after = net->widths();
  for (size_t i = 0; i < after.size(); ++i) {
    const ChannelGroup& g = net->groups()[i];
    EXPECT_EQ(after[i] - before[i], result.split[i] + result.fresh[i]) << g.name;
    set_growth[g.set] += after[i] - before[i];
  }
  for (const auto& [set, width] : set_widths)
    EXPECT_EQ(set_growth[set], width / 2) << "set " << set;
  if (GetParam() == "mobilenet_v1") {
    EXPECT_EQ(set_widths.size(), 2u);
  }
  net->train();
  EXPECT_EQ(net->forward(batches[0].first).sizes(), (std::vector<int64_t>{8, 10}));
}

INSTANTIATE_TEST_SUITE_P(Architectures, OsgOnArchitecture,
                         ::testing::Values("resnet18", "mobilenet_v1", "mobilenet_v2"));

// Pair averaging changes no value of the whole step: in double, the candidate phase (RMSprop,
// penalty), the scoring pass and the selection give the same losses, the same kept score and
// the same grown net as reading both children, on every architecture.
class OsgPairAveraging : public ::testing::TestWithParam<std::string> {};

TEST_P(OsgPairAveraging, GrowsTheSameNetAsReadingBothChildren) {
  const Batches batches = random_batches(3, 8, {1, 28, 28}, 10, torch::kDouble);
  struct Grown {
    GrowthResult result;
    std::vector<int64_t> widths;
    torch::Tensor outputs;
  };
  auto grow = [&](bool average_pairs) {
    torch::manual_seed(11);
    auto net = test::build_net(GetParam(), {1, 28, 28}, 0.0625);
    net->to(torch::kDouble);
    test::settle(*net, batches[0].first);
    test::ScriptedContext context(batches, 12);
    const Config options = make_config(OsgStrategy::schema(),
                                       {{"gamma", 0.5},
                                        {"candidates", int64_t{4}},
                                        {"lr", 0.01},
                                        {"average_pairs", average_pairs}},
                                       "stage.1");
    Grown out{OsgStrategy(options).grow(*net, context), net->widths(), {}};
    out.outputs = outputs(*net, batches[1].first);
    return out;
  };
  const Grown halves = grow(false), means = grow(true);
  EXPECT_EQ(halves.result.metrics.at("pair_averaged_groups"), 0.0);
  EXPECT_GT(means.result.metrics.at("pair_averaged_groups"), 0.0);
  EXPECT_LT(means.result.metrics.at("candidate_macs"), halves.result.metrics.at("candidate_macs"));
  for (const char* key : {"candidate_loss", "scoring_loss", "mean_kept_score", "score_threshold"})
    EXPECT_NEAR(means.result.metrics.at(key), halves.result.metrics.at(key),
                1e-9 * (1 + std::abs(halves.result.metrics.at(key))))
        << key;
  EXPECT_NE(halves.result.metrics.at("mean_kept_score"), 0.0);
  EXPECT_EQ(means.widths, halves.widths);
  EXPECT_TRUE(torch::allclose(means.outputs, halves.outputs, 1e-9, 1e-9));
}

INSTANTIATE_TEST_SUITE_P(Architectures, OsgPairAveraging,
                         ::testing::Values("vgg11", "resnet18", "mobilenet_v1", "mobilenet_v2"));

// The candidate phase and a weight-path scoring pass hold the norms frozen, so VGG's evaluation-
// mode norms run as GEAR's one-pass node (torch's norm not once), and the norms' parameters get
// no gradient and keep their flags.
TEST(Osg, CandidatePassesRunNoTorchNormAndRestoreEveryFlag) {
  auto net = test::build_vgg(0.0625);
  const Batches batches = random_batches(2, 8, {1, 28, 28}, 13);
  test::ScriptedContext context(batches, 14);
  const Config options =
      make_config(OsgStrategy::schema(),
                  {{"gamma", 0.5}, {"candidates", int64_t{4}}, {"tap_scores", false}}, "stage.1");
  const int runs =
      test::op_calls("aten::batch_norm", [&] { OsgStrategy(options).grow(*net, context); });
  EXPECT_EQ(runs, 0);
  for (const auto& p : net->parameters()) EXPECT_TRUE(p.requires_grad());
}

TEST(Osg, UnknownGroupFailsAtTheOption) {
  auto net = test::make_toy();
  test::ScriptedContext context(test::toy_batches(1, 4), 1);
  Config options = make_config(OsgStrategy::schema(),
                               {{"groups", std::vector<std::string>{"a", "zz"}}}, "stage.1");
  try {
    OsgStrategy(options).grow(*net, context);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'zz' is not a growable channel group"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("growable: a, b"), std::string::npos) << e.what();
  }
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{4, 3}));
}

TEST(Osg, TrainingContinuesWithARebuiltOptimizer) {
  auto net = test::make_toy();
  net->train();
  auto batches = test::toy_batches(2, 16);
  auto step = [&](torch::optim::Optimizer& optimizer) {
    optimizer.zero_grad();
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(net->forward(batches[0].first), batches[0].second);
    loss.backward();
    optimizer.step();
    return loss.item<double>();
  };
  torch::optim::SGD before(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  step(before);
  test::ScriptedContext context(batches, 5);
  OsgStrategy(osg_options(1.0)).grow(*net, context);
  torch::optim::SGD after(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  double loss = 0.0;
  for (int i = 0; i < 3; ++i) loss = step(after);
  EXPECT_TRUE(std::isfinite(loss));
  for (const auto& p : net->parameters()) EXPECT_TRUE(p.grad().defined());
}

TEST(RandomGrowth, AddsTheSameNumberOfFreshChannels) {
  auto net = test::make_toy();
  test::ScriptedContext context({}, 6);
  Config options = make_config(RandomStrategy::schema(), {{"gamma", 1.5}}, "stage.1");
  GrowthResult result = RandomStrategy(options).grow(*net, context);
  EXPECT_EQ(sum_of(net->widths()), 7 + 10);  // floor(1.5 * 7)
  EXPECT_EQ(sum_of(result.fresh), 10);
  EXPECT_EQ(sum_of(result.split), 0);
  EXPECT_GT(result.fresh[0], 0);  // uniform over two groups: both get some of 10 draws
  EXPECT_GT(result.fresh[1], 0);
  // Fresh incoming weights are drawn, not zero.
  EXPECT_GT(net->conv1_->weight.slice(0, 4).abs().sum().item<double>(), 0.0);
}

TEST(Net2Wider, WithoutNoiseTheFunctionIsPreserved) {
  auto net = test::make_toy();
  const torch::Tensor x = test::toy_batches(1, 8)[0].first;
  const torch::Tensor before = outputs(*net, x);
  test::ScriptedContext context({}, 7);
  Config options = make_config(Net2WiderStrategy::schema(), {{"gamma", 2.0}, {"noise", 0.0}}, "s");
  GrowthResult result = Net2WiderStrategy(options).grow(*net, context);
  EXPECT_EQ(sum_of(result.split), 14);  // gamma > 1: channels are replicated more than once
  EXPECT_EQ(sum_of(net->widths()), 21);
  EXPECT_TRUE(torch::allclose(outputs(*net, x), before, 1e-5, 1e-5));
}

TEST(Net2Wider, NoiseBreaksTheSymmetryOfCopiesOnly) {
  auto net = test::make_toy();
  const torch::Tensor original = net->conv1_->weight.detach().clone();
  test::ScriptedContext context({}, 8);
  Config options = make_config(Net2WiderStrategy::schema(), {{"gamma", 0.5}, {"noise", 0.05}}, "s");
  Net2WiderStrategy(options).grow(*net, context);
  const torch::Tensor w = net->conv1_->weight.detach();
  EXPECT_TRUE(torch::equal(w.slice(0, 0, 4), original));
  for (int64_t c = 4; c < w.size(0); ++c) {
    double nearest = 1e9;
    for (int64_t s = 0; s < 4; ++s)
      nearest = std::min(nearest, (w[c] - original[s]).abs().max().item<double>());
    EXPECT_GT(nearest, 0.0);
    EXPECT_LT(nearest, 0.05);
  }
}

}  // namespace
}  // namespace gear::plugins::growth
