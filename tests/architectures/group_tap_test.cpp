// Every architecture taps every channel group, and the taps report the group's activation and
// the loss's gradient with respect to it: checked against the BatchNorm that produces each one
// (the bias of the norm right after a producer moves the tapped activation one-for-one, so its
// gradient is the tapped gradient summed over batch and space).
#include <gtest/gtest.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/batchnorm.h>

#include <map>
#include <string>
#include <vector>

#include "test_support.h"

namespace gear::plugins::architectures {
namespace {

class EveryArchitectureTap : public ::testing::TestWithParam<std::string> {};

// Bias gradients [C] of the norms that directly follow a producer in `group`.
std::vector<torch::Tensor> producer_norm_bias_grads(const ChannelGroup& group) {
  std::vector<torch::Tensor> out;
  for (size_t i = 1; i < group.members.size(); ++i) {
    if (group.members[i].kind != TieKind::kNorm || group.members[i - 1].kind != TieKind::kProducer)
      continue;
    auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(group.members[i].module.get());
    if (bn && bn->bias.grad().defined()) out.push_back(bn->bias.grad().clone());
  }
  return out;
}

bool matches_one(const torch::Tensor& value, const std::vector<torch::Tensor>& candidates) {
  for (const auto& c : candidates)
    if (c.sizes() == value.sizes() && torch::allclose(c, value, 1e-4, 1e-6)) return true;
  return false;
}

TEST_P(EveryArchitectureTap, TapsReportEachGroupsActivationAndGradient) {
  torch::manual_seed(3);
  auto net = test::build_net(GetParam(), {3, 32, 32}, 0.125);
  net->train();
  std::map<std::string, std::vector<torch::Tensor>> grad_sums;
  std::map<std::string, int> forward_calls;
  std::vector<GroupObservation> observations;
  for (const auto& group : net->groups()) {
    ASSERT_TRUE(net->group_tapped(group.name)) << group.name;
    const std::string name = group.name;
    const int64_t width = net->width(name);
    observations.push_back(net->observe(
        name,
        [&, name, width](const torch::Tensor& a) {
          EXPECT_EQ(a.size(1), width) << name;
          EXPECT_FALSE(a.requires_grad()) << name;
          ++forward_calls[name];
        },
        [&, name](const torch::Tensor& a, const torch::Tensor& g) {
          EXPECT_EQ(a.sizes(), g.sizes()) << name;
          grad_sums[name].push_back(g.sum({0, 2, 3}));
        }));
  }
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  torch::Tensor labels = torch::randint(0, 10, {4});
  torch::nn::functional::cross_entropy(net->forward(x), labels).backward();
  for (const auto& group : net->groups()) {
    EXPECT_GE(forward_calls[group.name], 1) << group.name;
    const auto norms = producer_norm_bias_grads(group);
    const auto& taps = grad_sums[group.name];
    ASSERT_FALSE(taps.empty()) << group.name;
    ASSERT_FALSE(norms.empty()) << group.name;
    // Each tapped gradient is a producing norm's, and each producing norm's is a tap's (a
    // shortcut's norm and the block's second norm feed the same sum, so they share one tap).
    for (size_t t = 0; t < taps.size(); ++t)
      EXPECT_TRUE(matches_one(taps[t], norms)) << group.name << " tap " << t;
    for (size_t n = 0; n < norms.size(); ++n)
      EXPECT_TRUE(matches_one(norms[n], taps)) << group.name << " norm " << n;
  }
}

TEST_P(EveryArchitectureTap, ObservingChangesNoValueAndStopsWithTheHandle) {
  torch::manual_seed(4);
  auto net = test::build_net(GetParam(), {1, 28, 28}, 0.125);
  net->eval();
  torch::Tensor x = torch::randn({2, 1, 28, 28});
  torch::Tensor plain = net->forward(x).detach();
  int calls = 0;
  {
    GroupObservation watch = net->observe(
        net->groups().front().name, [&](const torch::Tensor&) { ++calls; },
        [](const torch::Tensor&, const torch::Tensor&) {});
    torch::Tensor x_grad = x.clone().requires_grad_(true);
    torch::Tensor observed = net->forward(x_grad);
    EXPECT_TRUE(torch::equal(observed.detach(), plain));
    EXPECT_GE(calls, 1);
  }
  const int before = calls;
  net->forward(x);
  EXPECT_EQ(calls, before);  // the handle is gone: no more calls
}

// Per-channel sums of the gradient each tap reports in one backward pass, tap by tap.
std::map<std::string, std::vector<torch::Tensor>> tap_gradients(GrowableNet& net,
                                                                const torch::Tensor& x,
                                                                const torch::Tensor& labels) {
  std::map<std::string, std::vector<torch::Tensor>> sums;
  std::vector<GroupObservation> observations;
  for (const auto& group : net.groups()) {
    const std::string name = group.name;
    observations.push_back(
        net.observe(name, {}, [&sums, name](const torch::Tensor&, const torch::Tensor& g) {
          sums[name].push_back(g.sum({0, 2, 3}));
        }));
  }
  torch::nn::functional::cross_entropy(net.forward(x), labels).backward();
  return sums;
}

// A scoring pass with every weight frozen and an input that needs no gradient: the taps start
// the backward pass, report the same gradients as with trainable weights, and autograd computes
// no weight gradient.
TEST_P(EveryArchitectureTap, FrozenNetsTapsStartTheBackwardPass) {
  torch::manual_seed(5);
  auto net = test::build_net(GetParam(), {1, 28, 28}, 0.125);
  net->eval();
  const torch::Tensor x = torch::randn({3, 1, 28, 28});
  const torch::Tensor labels = torch::randint(0, 10, {3});
  const auto trainable = tap_gradients(*net, x, labels);
  for (auto& p : net->parameters()) {
    p.mutable_grad() = torch::Tensor();
    p.requires_grad_(false);
  }
  const auto frozen = tap_gradients(*net, x, labels);
  for (auto& p : net->parameters()) {
    EXPECT_FALSE(p.grad().defined());
    p.requires_grad_(true);
  }
  ASSERT_EQ(frozen.size(), net->groups().size());
  for (const auto& [name, sums] : trainable) {
    ASSERT_EQ(frozen.at(name).size(), sums.size()) << name;
    for (size_t t = 0; t < sums.size(); ++t)
      EXPECT_TRUE(torch::allclose(frozen.at(name)[t], sums[t], 1e-4, 1e-6)) << name << " tap " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, EveryArchitectureTap,
                         ::testing::Values("vgg11", "resnet18", "mobilenet_v1", "mobilenet_v2"));

// A net whose forward has no tap for its group.
class UntappedNet final : public GrowableNet {
 public:
  UntappedNet() {
    conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 2, 1)));
    ChannelGroup& g = add_group("g", 2);
    tie(g, TieKind::kProducer, "conv", conv_.ptr());
  }
  torch::Tensor forward(torch::Tensor x) override { return conv_->forward(x).flatten(1); }
  GroupTap make_tap() { return tap("g"); }

 private:
  torch::nn::Conv2d conv_{nullptr};
};

TEST(GroupTap, UnknownOrUntappedGroupsAreRefusedAndAnIdleTapIsTheIdentity) {
  UntappedNet net;
  EXPECT_THROW((void)net.observe("nope", [](const torch::Tensor&) {}), std::invalid_argument);
  EXPECT_THROW((void)net.observe("g", [](const torch::Tensor&) {}), std::invalid_argument);
  GroupTap tap = net.make_tap();
  EXPECT_TRUE(net.group_tapped("g"));
  torch::Tensor x = torch::randn({2, 2, 1, 1}, torch::requires_grad());
  EXPECT_TRUE(tap(x).is_same(x));  // nobody observes: no copy, no hook
  GroupObservation forward_only = net.observe("g", [](const torch::Tensor&) {});
  EXPECT_TRUE(tap(x).is_same(x));  // activations only: still no copy
  GroupObservation with_grad =
      net.observe("g", {}, [](const torch::Tensor&, const torch::Tensor&) {});
  torch::Tensor y = tap(x);
  EXPECT_FALSE(y.is_same(x));  // in-place ops after the tap must not touch what is observed
  EXPECT_TRUE(torch::equal(y, x));
  GroupTap inert;
  EXPECT_TRUE(inert(x).is_same(x));
}

TEST(ConsumerTap, UnknownOrUntappedGroupsAreRefused) {
  UntappedNet net;
  auto identity = [](const torch::Tensor& x) { return x; };
  EXPECT_THROW((void)net.transform_consumed("nope", identity), std::invalid_argument);
  EXPECT_FALSE(net.group_consumer_tapped("g"));
  EXPECT_THROW((void)net.transform_consumed("g", identity), std::invalid_argument);
  (void)net.make_tap();  // a group tap is not a consumer tap
  EXPECT_THROW((void)net.transform_consumed("g", identity), std::invalid_argument);
}

// VGG's consumers read each group once per pass, at its width, and read what the transform
// returns: zeros for the last group leave the classifier its bias alone.
TEST(ConsumerTap, VggConsumersReadEachGroupThroughItsTap) {
  torch::manual_seed(5);
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.125);
  net->eval();
  const torch::Tensor x = torch::randn({2, 1, 28, 28});
  const torch::Tensor before = net->forward(x);
  std::map<std::string, int> reads;
  {
    std::vector<GroupObservation> transforms;
    for (const auto& group : net->groups()) {
      ASSERT_TRUE(net->group_consumer_tapped(group.name)) << group.name;
      const std::string name = group.name;
      const int64_t width = net->width(name);
      transforms.push_back(net->transform_consumed(name, [&, name, width](const torch::Tensor& t) {
        EXPECT_EQ(t.size(1), width) << name;
        ++reads[name];
        return t;
      }));
    }
    EXPECT_TRUE(torch::equal(net->forward(x), before));
  }
  for (const auto& group : net->groups()) EXPECT_EQ(reads[group.name], 1) << group.name;
  const std::string last = net->groups().back().name;
  torch::Tensor zeroed;
  {
    GroupObservation zero =
        net->transform_consumed(last, [](const torch::Tensor& t) { return torch::zeros_like(t); });
    zeroed = net->forward(x);
  }
  torch::Tensor bias;
  for (const auto& p : net->named_parameters())
    if (p.key() == "classifier.bias") bias = p.value();
  ASSERT_TRUE(bias.defined());
  EXPECT_TRUE(torch::allclose(zeroed, bias.expand_as(zeroed)));
  EXPECT_TRUE(torch::equal(net->forward(x), before));  // the handle's end ends the transform
}

// Which groups each architecture reads through a consumer tap: all of VGG's and MobileNet-V1's,
// ResNet's inner groups (not its residual streams), MobileNet-V2's expansions and head (not its
// streams, which residual sums and expand convs read).
bool expect_consumer_tap(const std::string& architecture, const std::string& group) {
  if (architecture == "resnet18") return group.find(".block") != std::string::npos;
  if (architecture == "mobilenet_v2")
    return group == "head" || group.find(".expand") != std::string::npos;
  return true;
}

TEST_P(EveryArchitectureTap, ConsumerTapsSitWhereEachGroupsConsumersReadIt) {
  auto net = test::build_net(GetParam(), {3, 32, 32}, 0.125);
  net->eval();
  const torch::Tensor x = torch::randn({2, 3, 32, 32});
  std::map<std::string, int> reads;
  std::vector<GroupObservation> transforms;
  int64_t tapped = 0;
  for (const auto& group : net->groups()) {
    const std::string name = group.name;
    EXPECT_EQ(net->group_consumer_tapped(name), expect_consumer_tap(GetParam(), name)) << name;
    if (!net->group_consumer_tapped(name)) continue;
    ++tapped;
    const int64_t width = net->width(name);
    transforms.push_back(net->transform_consumed(name, [&, name, width](const torch::Tensor& t) {
      EXPECT_EQ(t.size(1), width) << name;
      ++reads[name];
      return t;
    }));
  }
  EXPECT_GT(tapped, 0);
  net->forward(x);
  for (const auto& [name, count] : reads) EXPECT_EQ(count, 1) << name;
  EXPECT_EQ(static_cast<int64_t>(reads.size()), tapped);
}

}  // namespace
}  // namespace gear::plugins::architectures
