// Pruning keeps every architecture consistent and counts what it frees exactly; l1 is ADaPT's
// mean |w|; channels whose outgoing weights are zero go without changing the outputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "../../plugins/pruning/l1_pruner.h"
#include "../../plugins/pruning/random_pruner.h"
#include "../../plugins/pruning/taylor_pruner.h"
#include "gear/host/checkpoint.h"
#include "gear/host/device.h"
#include "gear/host/growth_stage.h"
#include "gear/host/pipeline.h"
#include "test_support.h"

namespace gear::plugins::pruning {
namespace {

namespace fs = std::filesystem;

class FixedContext final : public PruningContext {
 public:
  explicit FixedContext(double fraction, std::vector<int64_t> shape = {1, 28, 28},
                        PruneMeasure measure = PruneMeasure::kParams)
      : shape_(std::move(shape)), generator_(host::make_generator(torch::kCPU, 7)) {
    target_ = {measure, fraction};
  }
  torch::Device device() const override { return torch::kCPU; }
  const PruneTarget& target() const override { return target_; }
  const std::vector<int64_t>& sample_shape() const override { return shape_; }
  /// The batches for_each_batch passes, in order.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> batches;
  void for_each_batch(const GrowthContext::BatchStep& step, int64_t max_batches) override {
    for (size_t b = 0; b < batches.size(); ++b)
      if (max_batches == 0 || static_cast<int64_t>(b) < max_batches)
        step(batches[b].first, batches[b].second);
  }
  torch::Generator& generator() override { return generator_; }

 private:
  PruneTarget target_;
  std::vector<int64_t> shape_;
  torch::Generator generator_;
};

Config l1_options(const std::vector<std::pair<std::string, Value>>& values = {}) {
  return test::make_config(L1Pruner::schema(), values, "stage.1");
}

const std::vector<std::string> kArchitectures = {"vgg11", "resnet18", "mobilenet_v1",
                                                 "mobilenet_v2"};

class EveryArchitecturePruned : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryArchitecturePruned, ParamsAtWidthsIsTheRebuiltNetsCount) {
  auto net = test::build_net(GetParam(), {3, 32, 32}, 0.25);
  std::vector<int64_t> widths = net->widths();
  for (size_t g = 0; g < widths.size(); ++g)
    if (net->groups()[g].growable) widths[g] = std::max<int64_t>(1, widths[g] * 3 / 5 - 1);
  auto rebuilt = test::build_net(GetParam(), {3, 32, 32}, 0.25, widths);
  EXPECT_EQ(params_at_widths(*net, widths), rebuilt->params());
  EXPECT_EQ(params_at_widths(*net, net->widths()), net->params());
}

TEST_P(EveryArchitecturePruned, L1FreesAtLeastTheTargetAndNoChannelMore) {
  for (double level : {0.3, 0.5, 0.7}) {
    torch::manual_seed(1);
    auto net = test::build_net(GetParam(), {3, 32, 32}, 0.25);
    const int64_t before = net->params();
    FixedContext context(level, {3, 32, 32});
    L1Pruner pruner(l1_options());
    const PruneResult result = pruner.prune(*net, context);
    const int64_t after = net->params();
    EXPECT_EQ(result.bound_by, "target") << level;
    // What the pruner counted is what the net lost, and it reached the target.
    EXPECT_EQ(static_cast<int64_t>(result.metrics.at("freed_params")), before - after) << level;
    EXPECT_GE(before - after, static_cast<int64_t>(std::ceil(level * before))) << level;
    // It stops at the target: one channel's worth past it at most, far below the next level.
    EXPECT_LT(static_cast<double>(before - after) / static_cast<double>(before), level + 0.02)
        << level;
    net->eval();
    torch::NoGradGuard no_grad;
    EXPECT_EQ(net->forward(torch::randn({2, 3, 32, 32})).sizes(), (std::vector<int64_t>{2, 10}));
  }
}

TEST_P(EveryArchitecturePruned, CostAtWidthsIsTheRebuiltNetsParamsMacsAndBytes) {
  auto net = test::build_net(GetParam(), {3, 32, 32}, 0.25);
  std::vector<int64_t> widths = net->widths();
  for (size_t g = 0; g < widths.size(); ++g)
    if (net->groups()[g].growable) widths[g] = std::max<int64_t>(1, widths[g] * 2 / 3 - 1);
  auto rebuilt = test::build_net(GetParam(), {3, 32, 32}, 0.25, widths);
  const CostAtWidths cost(*net, {3, 32, 32});
  EXPECT_EQ(cost(PruneMeasure::kParams, widths), rebuilt->params());
  EXPECT_EQ(cost(PruneMeasure::kMacs, widths), rebuilt->macs({3, 32, 32}));
  EXPECT_EQ(cost(PruneMeasure::kBytes, widths), host::model_bytes(*rebuilt));
  EXPECT_EQ(cost(PruneMeasure::kMacs, net->widths()), net->macs({3, 32, 32}));
}

TEST_P(EveryArchitecturePruned, MacsAndBytesTargetsAreMetAndNotOvershot) {
  for (PruneMeasure measure : {PruneMeasure::kMacs, PruneMeasure::kBytes}) {
    torch::manual_seed(4);
    auto net = test::build_net(GetParam(), {3, 32, 32}, 0.25);
    const int64_t before =
        measure == PruneMeasure::kMacs ? net->macs({3, 32, 32}) : host::model_bytes(*net);
    FixedContext context(0.5, {3, 32, 32}, measure);
    const PruneResult result = L1Pruner(l1_options()).prune(*net, context);
    const int64_t after =
        measure == PruneMeasure::kMacs ? net->macs({3, 32, 32}) : host::model_bytes(*net);
    const double freed = 1.0 - static_cast<double>(after) / static_cast<double>(before);
    EXPECT_EQ(result.bound_by, "target") << measure_name(measure);
    EXPECT_GE(freed, 0.5) << measure_name(measure);
    EXPECT_LT(freed, 0.53) << measure_name(measure);
    EXPECT_NEAR(result.metrics.at("freed_fraction"), freed, 1e-12) << measure_name(measure);
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, EveryArchitecturePruned,
                         ::testing::ValuesIn(kArchitectures));

TEST(L1Pruner, ScoresAreEachFiltersMeanAbsoluteWeight) {
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.125);
  const ChannelScores scores = L1Pruner::l1_scores(*net);
  for (const auto& t : net->tied_tensors("conv2")) {
    if (t.role != TieRole::kProducerWeight) continue;
    const torch::Tensor expected = t.tensor.detach().abs().to(torch::kDouble).mean({1, 2, 3});
    ASSERT_EQ(scores[2].size(), static_cast<size_t>(expected.size(0)));
    for (int64_t c = 0; c < expected.size(0); ++c)
      EXPECT_NEAR(scores[2][static_cast<size_t>(c)], expected[c].item<double>(), 1e-12) << c;
  }
}

TEST(L1Pruner, ChannelsWithZeroOutgoingWeightsGoWithoutChangingTheOutputs) {
  torch::manual_seed(2);
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.125);
  test::settle(*net, torch::randn({8, 1, 28, 28}));
  const std::vector<int64_t> dead = {1, 4, 5, 9};
  {
    torch::NoGradGuard no_grad;
    for (const auto& t : net->tied_tensors("conv3")) {
      for (int64_t c : dead) {
        // The smallest filters (so l1 picks them) whose outputs nothing reads.
        if (t.role == TieRole::kProducerWeight) t.tensor.select(0, c).fill_(1e-6);
        if (t.role == TieRole::kConsumerWeight)
          t.tensor.narrow(t.dim, c * t.block, t.block).zero_();
      }
    }
  }
  torch::Tensor x = torch::randn({4, 1, 28, 28});
  torch::Tensor before;
  {
    torch::NoGradGuard no_grad;
    before = net->forward(x);
  }
  std::vector<int64_t> widths = net->widths();
  widths[3] -= static_cast<int64_t>(dead.size());
  const double exact = static_cast<double>(net->params() - params_at_widths(*net, widths)) /
                       static_cast<double>(net->params());
  FixedContext context(exact * 0.999);
  L1Pruner pruner(l1_options());
  const PruneResult result = pruner.prune(*net, context);
  EXPECT_EQ(std::get<std::vector<int64_t>>(result.records.at("removed.conv3")), dead);
  EXPECT_EQ(result.removed, (std::vector<int64_t>{0, 0, 0, 4, 0, 0, 0, 0}));
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(net->forward(x), before, 1e-5, 1e-6));
}

TEST(L1Pruner, FloorsAndTheIgnoreListHoldWhenTheTargetIsOutOfReach) {
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.125);
  const int64_t conv0 = net->width("conv0");
  FixedContext context(0.999);  // beyond what the floors leave
  L1Pruner pruner(l1_options(
      {{"min_channels", Value(int64_t{3})}, {"ignore", Value(std::vector<std::string>{"conv0"})}}));
  const PruneResult result = pruner.prune(*net, context);
  EXPECT_EQ(result.bound_by, "floor");
  EXPECT_EQ(net->width("conv0"), conv0);
  for (const auto& name : net->group_names()) {
    if (name != "conv0") {
      EXPECT_EQ(net->width(name), 3) << name;
    }
  }
}

TEST(L1Pruner, AnUnknownIgnoredGroupIsTheUsersError) {
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.125);
  FixedContext context(0.3);
  L1Pruner pruner(l1_options({{"ignore", Value(std::vector<std::string>{"conv99"})}}));
  try {
    pruner.prune(*net, context);
    FAIL() << "conv99 is no group";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "stage.1.ignore");
    EXPECT_NE(e.message().find("conv99"), std::string::npos) << e.what();
  }
}

TEST(L1Pruner, ATiedResidualStreamLosesTheSameChannelsFromEveryTensor) {
  torch::manual_seed(3);
  auto net = test::build_net("resnet18", {3, 32, 32}, 0.25);
  std::vector<torch::Tensor> before;
  for (const auto& t : net->tied_tensors("stage2")) before.push_back(t.tensor.detach().clone());
  // Only the stage-2 stream may lose channels.
  std::vector<std::string> others;
  for (const auto& name : net->group_names())
    if (name != "stage2") others.push_back(name);
  FixedContext context(0.01, {3, 32, 32});
  L1Pruner pruner(l1_options({{"ignore", Value(others)}}));
  const PruneResult result = pruner.prune(*net, context);
  ASSERT_EQ(result.bound_by, "target");
  ASSERT_TRUE(result.records.count("removed.stage2")) << "stage2 lost nothing";
  const auto removed = std::get<std::vector<int64_t>>(result.records.at("removed.stage2"));
  std::vector<int64_t> kept;
  for (int64_t c = 0; c < before[0].size(0); ++c)
    if (std::find(removed.begin(), removed.end(), c) == removed.end()) kept.push_back(c);
  const auto after = net->tied_tensors("stage2");
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    const auto& t = after[i];
    torch::Tensor index = torch::tensor(kept, torch::kLong);
    if (t.block > 1) continue;  // none in a ResNet stream
    EXPECT_TRUE(torch::equal(t.tensor.detach(), before[i].index_select(t.dim, index))) << t.name;
  }
}

TEST(ChainFloors, FollowAdaptAndMaintainWidthDefinitions) {
  // ADaPT: ceil(c (1 - p)) for p >= 0.5, else ceil(c p).
  EXPECT_EQ(chain_floor("adapt", 64, 0.7), 20);  // ceil(19.2)
  EXPECT_EQ(chain_floor("adapt", 64, 0.5), 32);
  EXPECT_EQ(chain_floor("adapt", 64, 0.3), 20);  // ceil(19.2)
  EXPECT_EQ(chain_floor("adapt", 10, 0.25), 3);  // ceil(2.5)
  // autoprune: ceil(c / 2) for p >= 0.85, ceil(c (1 - p)) for p <= 0.5, else ceil(c p).
  EXPECT_EQ(chain_floor("maintain_width", 64, 0.9), 32);
  EXPECT_EQ(chain_floor("maintain_width", 64, 0.85), 32);
  EXPECT_EQ(chain_floor("maintain_width", 64, 0.3), 45);  // ceil(44.8)
  EXPECT_EQ(chain_floor("maintain_width", 64, 0.5), 32);
  EXPECT_EQ(chain_floor("maintain_width", 64, 0.7), 45);  // ceil(44.8)
  EXPECT_EQ(chain_floor("none", 64, 0.7), 0);
}

TEST(ChainFloors, ResidualStreamsAreChainsAndKeepTheirFloor) {
  auto resnet = test::build_net("resnet18", {3, 32, 32}, 0.25);
  auto vgg = test::build_net("vgg11", {3, 32, 32}, 0.25);
  const auto names = resnet->group_names();
  const size_t stream =
      static_cast<size_t>(std::find(names.begin(), names.end(), "stage2") - names.begin());
  ASSERT_LT(stream, names.size());
  EXPECT_TRUE(is_chain(*resnet, stream));
  for (size_t g = 0; g < vgg->groups().size(); ++g) EXPECT_FALSE(is_chain(*vgg, g)) << g;
  std::vector<std::string> not_chains;
  for (size_t g = 0; g < names.size(); ++g)
    if (!is_chain(*resnet, g)) not_chains.push_back(names[g]);
  // Each block's inner group 1.5 times as wide as its stream, so a floor taken from a
  // neighbour's width differs from the stream's own.
  std::vector<int64_t> widths = resnet->widths();
  for (size_t g = 0; g < widths.size(); ++g)
    if (!is_chain(*resnet, g)) widths[g] = widths[g] * 3 / 2;
  for (const std::string policy : {"adapt", "maintain_width", "none"}) {
    auto net = test::build_net("resnet18", {3, 32, 32}, 0.25, widths);
    const std::vector<int64_t> before = net->widths();
    ASSERT_EQ(before, widths);
    FixedContext context(0.9, {3, 32, 32});
    // Only the four streams (16, 32, 64 and 128 wide) may lose channels. With a floor, 90 % of
    // the MACs is then out of reach, and each stream ends exactly at its own floor, from its own
    // width; without one (none), the streams alone reach it.
    L1Pruner pruner(l1_options({{"chain_floor", Value(policy)}, {"ignore", Value(not_chains)}}));
    const PruneResult result = pruner.prune(*net, context);
    const bool floored = policy != "none";
    EXPECT_EQ(result.bound_by, floored ? "floor" : "target") << policy;
    for (size_t g = 0; g < before.size(); ++g) {
      if (!is_chain(*net, g)) continue;
      const int64_t floor = std::max<int64_t>(2, chain_floor(policy, before[g], 0.9));
      EXPECT_GE(net->widths()[g], floor) << policy << " " << names[g];
      if (floored) EXPECT_EQ(net->widths()[g], floor) << policy << " " << names[g];
    }
  }
}

// Scaling a BatchNorm's weight and bias by s scales its output, the group's tapped activation,
// by s: so dL/ds at s = 1 is sum(a * dL/da), the quantity Taylor scores take the magnitude of.
TEST(TaylorPruner, ScoresAreTheLossDerivativeOfScalingEachChannel) {
  torch::manual_seed(5);
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.125);
  test::settle(*net, torch::randn({8, 1, 28, 28}));
  FixedContext context(0.3);
  for (int b = 0; b < 2; ++b)
    context.batches.emplace_back(torch::randn({6, 1, 28, 28}), torch::randint(0, 10, {6}));
  const ChannelScores scores = TaylorPruner::taylor_scores(*net, context, 0);
  EXPECT_TRUE(net->is_training() == false);
  for (const auto& p : net->parameters())
    EXPECT_FALSE(p.grad().defined() && p.grad().abs().sum().item<double>() > 0) << "grad left";
  auto loss = [&] {
    torch::NoGradGuard no_grad;
    double total = 0.0;
    for (const auto& [x, y] : context.batches)
      total += torch::nn::functional::cross_entropy(
                   net->forward(x), y,
                   torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                   .item<double>();
    return total;
  };
  const size_t group = 3;
  std::vector<torch::Tensor> norm;
  for (const auto& t : net->tied_tensors(net->group_names()[group]))
    if (t.role == TieRole::kNormWeight || t.role == TieRole::kNormBias) norm.push_back(t.tensor);
  ASSERT_EQ(norm.size(), 2u);
  const double eps = 1e-3;
  for (int64_t c : {0, 3, 7}) {
    auto scale = [&](double s) {
      torch::NoGradGuard no_grad;
      for (auto& t : norm) t.select(0, c).mul_(s);
    };
    scale(1 + eps);
    const double up = loss();
    scale(1 / (1 + eps) * (1 - eps));
    const double down = loss();
    scale(1 / (1 - eps));
    const double derivative = (up - down) / (2 * eps);
    EXPECT_NEAR(scores[group][static_cast<size_t>(c)], std::abs(derivative),
                1e-3 * (1 + std::abs(derivative)))
        << c;
  }
  // Only `batches` batches count.
  const ChannelScores one = TaylorPruner::taylor_scores(*net, context, 1);
  EXPECT_NE(one[group], scores[group]);
}

// The pass needs only the activations' gradients: no weight's gradient is computed, and every
// parameter gets back the flag it had (one the user froze stays frozen).
TEST(TaylorPruner, ComputesNoWeightGradientAndGivesEachParameterBackItsFlag) {
  torch::manual_seed(6);
  auto net = test::build_net("resnet18", {3, 16, 16}, 0.125);
  FixedContext context(0.3, {3, 16, 16});
  context.batches.emplace_back(torch::randn({4, 3, 16, 16}), torch::randint(0, 10, {4}));
  std::vector<torch::Tensor> parameters = net->parameters();
  parameters[1].requires_grad_(false);
  int computed = 0;
  for (auto& p : parameters)
    if (p.requires_grad()) p.register_hook([&computed](const torch::Tensor&) { ++computed; });
  const ChannelScores scores = TaylorPruner::taylor_scores(*net, context, 0);
  EXPECT_EQ(computed, 0) << "weight gradients computed";
  for (size_t i = 0; i < parameters.size(); ++i)
    EXPECT_EQ(parameters[i].requires_grad(), i != 1) << i;
  double total = 0.0;
  for (const auto& group : scores)
    for (double score : group) total += score;
  EXPECT_GT(total, 0.0);
  // The flags given back still train: a step computes every unfrozen weight's gradient.
  torch::nn::functional::cross_entropy(net->forward(context.batches[0].first),
                                       context.batches[0].second)
      .backward();
  EXPECT_EQ(computed, static_cast<int>(parameters.size()) - 1);
}

TEST(RandomPruner, IsSeededAndMeetsTheSameTarget) {
  auto a = test::build_net("vgg11", {1, 28, 28}, 0.125);
  auto b = test::build_net("vgg11", {1, 28, 28}, 0.125);
  Config options = test::make_config(RandomPruner::schema(), {}, "stage.1");
  FixedContext ca(0.5), cb(0.5);
  const int64_t before = a->params();
  const PruneResult ra = RandomPruner(options).prune(*a, ca);
  const PruneResult rb = RandomPruner(options).prune(*b, cb);
  EXPECT_EQ(a->widths(), b->widths());
  EXPECT_EQ(ra.records, rb.records);
  EXPECT_GE(before - a->params(), static_cast<int64_t>(std::ceil(0.5 * before)));
  auto c = test::build_net("vgg11", {1, 28, 28}, 0.125);
  FixedContext cc(0.5);
  L1Pruner(l1_options()).prune(*c, cc);
  EXPECT_NE(c->widths(), a->widths());  // a random order is not l1's
}

// A prune stage inside gearhost: train, prune half the parameters, train on, evaluate.
TEST(PruneStage, ARunPrunesRecordsAndCheckpointsTheSmallerNet) {
  const fs::path dir = test::temp_dir("prune-run");
  test::write_tiny_fashion(dir / "data", 256, 64);
  const std::string pipeline =
      test::tiny_run_and_data(dir / "data", 3) + test::tiny_vgg_training("0.125", 1) + R"(
[[stage]]
kind = "prune"
pruner = "l1"
target = { params = 0.5 }
ignore = ["conv0"]

[[stage]]
kind = "train"
epochs = 1

[[stage]]
kind = "evaluate"
)";
  test::write_text(dir / "p.toml", pipeline);
  std::string output;
  const int code =
      test::run_command(std::string(GEARHOST_EXE) + " run " + (dir / "p.toml").string() +
                            " --out " + (dir / "run").string(),
                        &output);
  ASSERT_EQ(code, 0) << output;
  nlohmann::json summary = nlohmann::json::parse(std::ifstream(dir / "run" / "summary.json"));
  const nlohmann::json& prune = summary["stages"][1];
  EXPECT_EQ(prune["kind"], "prune");
  EXPECT_EQ(prune["target"]["params"], 0.5);
  EXPECT_GE(prune["freed_params_fraction"].get<double>(), 0.5);
  EXPECT_EQ(prune["widths_before"]["conv0"], prune["widths_after"]["conv0"]);
  EXPECT_EQ(summary["final"]["params"], prune["params_after"]);
  const auto meta =
      host::read_checkpoint_meta(dir / "run" / prune["checkpoint"].get<std::string>());
  EXPECT_EQ(meta.widths, summary["final"]["widths"].get<std::vector<int64_t>>());
  // The resolved pipeline reads back with the target.
  std::ifstream resolved(dir / "run" / "pipeline.resolved.toml");
  const std::string text((std::istreambuf_iterator<char>(resolved)),
                         std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("target.params = 0.5"), std::string::npos) << text;
}

TEST(PruneStage, BadTargetsAreErrorsAtTheKey) {
  const std::string head = "[[stage]]\nkind = \"prune\"\npruner = \"l1\"\n";
  for (const auto& [target, key] : std::vector<std::pair<std::string, std::string>>{
           {"target = { params = 1.5 }", "stage.0.target.params"},
           {"target = { params = 0.0 }", "stage.0.target.params"},
           {"target = { macs = 1.0 }", "stage.0.target.macs"},
           {"target = { flops = 0.5 }", "stage.0.target.flops"},
           {"target = { params = 0.5, macs = 0.5 }", "stage.0.target"},
           {"target = 0.5", "stage.0.target"},
           {"", "stage.0.target"}}) {
    const ConfigError e = test::expect_pipeline_error(head + target + "\n");
    EXPECT_EQ(e.key(), key) << target << ": " << e.what();
  }
  const ConfigError unknown = test::expect_pipeline_error(
      "[[stage]]\nkind = \"prune\"\npruner = \"l2\"\n"
      "target = { params = 0.5 }\n");
  EXPECT_EQ(unknown.key(), "stage.0.pruner");
  EXPECT_NE(unknown.message().find("unknown pruner 'l2'"), std::string::npos) << unknown.what();
}

}  // namespace
}  // namespace gear::plugins::pruning
