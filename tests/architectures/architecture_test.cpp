// Properties every architecture must have, checked on each registered one.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.h"

namespace gear::plugins::architectures {
namespace {

using Shape = std::vector<int64_t>;

const std::vector<std::string> kArchitectures = {"vgg11", "resnet18", "mobilenet_v1",
                                                 "mobilenet_v2"};

class EveryArchitecture : public ::testing::TestWithParam<std::string> {};

Shape batch_of(int64_t n, const Shape& sample) {
  Shape shape = {n};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return shape;
}

TEST_P(EveryArchitecture, ForwardShapesForGreyRgbAndTinyImageNetInputs) {
  for (const Shape& sample : {Shape{1, 28, 28}, Shape{3, 32, 32}, Shape{3, 64, 64}}) {
    auto net = test::build_net(GetParam(), sample, 0.125, {}, 7);
    torch::NoGradGuard no_grad;
    net->eval();
    EXPECT_EQ(net->forward(torch::randn(batch_of(2, sample))).sizes(), (Shape{2, 7}))
        << sample[1] << " px";
    EXPECT_GT(net->macs(sample), 0);
  }
}

TEST_P(EveryArchitecture, WidthMultiplierScalesEveryStandardWidth) {
  auto full = test::build_net(GetParam(), {3, 32, 32}, 1.0);
  auto quarter = test::build_net(GetParam(), {3, 32, 32}, 0.25);
  const auto reference = full->widths();
  const auto scaled = quarter->widths();
  ASSERT_EQ(reference.size(), scaled.size());
  for (size_t i = 0; i < reference.size(); ++i) {
    EXPECT_EQ(reference[i], full->groups()[i].reference_width) << full->groups()[i].name;
    EXPECT_EQ(scaled[i], std::max<int64_t>(1, std::llround(reference[i] * 0.25)));
  }
}

TEST_P(EveryArchitecture, WidenWithZeroOutgoingKeepsOutputsOnEveryGroup) {
  torch::manual_seed(3);
  auto net = test::build_net(GetParam(), {3, 32, 32}, 0.125);
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  test::settle(*net, x);
  torch::NoGradGuard no_grad;
  const torch::Tensor before = net->forward(x);
  const auto widths = net->widths();
  for (const auto& name : net->group_names()) {
    // Random incoming weights: the new channels carry signal, which only zero consumer columns
    // (the default) keep out of the output.
    net->widen(name, 3, [](const TiedTensor& t, int64_t count) -> torch::Tensor {
      if (t.role != TieRole::kProducerWeight && t.role != TieRole::kPassThroughWeight) return {};
      auto sizes = t.tensor.sizes().vec();
      sizes[0] = count;
      return torch::randn(sizes);
    });
    const torch::Tensor after = net->forward(x);
    ASSERT_TRUE(torch::allclose(after, before, 1e-4, 1e-5))
        << "group " << name << ": max difference " << (after - before).abs().max().item<float>();
  }
  const auto grown = net->widths();
  for (size_t i = 0; i < widths.size(); ++i) EXPECT_EQ(grown[i], widths[i] + 3);
  net->train();
  EXPECT_EQ(net->forward(x).sizes(), (Shape{4, 10}));
}

TEST_P(EveryArchitecture, SelectOfZeroedChannelsKeepsOutputsOnEveryGroup) {
  torch::manual_seed(4);
  auto net = test::build_net(GetParam(), {3, 32, 32}, 0.125);
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  test::settle(*net, x);
  torch::NoGradGuard no_grad;
  for (const auto& name : net->group_names()) {
    const int64_t width = net->width(name);
    if (width < 2) continue;
    std::vector<int64_t> keep;
    for (const auto& t : net->tied_tensors(name)) {
      if (t.role != TieRole::kConsumerWeight) continue;
      for (int64_t c = 1; c < width; c += 2) t.tensor.narrow(t.dim, c * t.block, t.block).zero_();
    }
    for (int64_t c = 0; c < width; c += 2) keep.push_back(c);
    const torch::Tensor before = net->forward(x);
    net->select(name, keep);
    EXPECT_EQ(net->width(name), static_cast<int64_t>(keep.size()));
    const torch::Tensor after = net->forward(x);
    ASSERT_TRUE(torch::allclose(after, before, 1e-4, 1e-5))
        << "group " << name << ": max difference " << (after - before).abs().max().item<float>();
  }
}

TEST_P(EveryArchitecture, ParamsFollowTheGroupsAfterSurgery) {
  // Widening one group by one channel adds exactly the entries of its tied tensors' slices.
  auto net = test::build_net(GetParam(), {3, 32, 32}, 0.125);
  for (const auto& name : net->group_names()) {
    int64_t per_channel = 0;
    for (const auto& t : net->tied_tensors(name))
      if (t.tensor.requires_grad())
        per_channel += t.tensor.numel() / t.tensor.size(t.dim) * t.block;
    const int64_t before = net->params();
    net->widen(name, 1);
    EXPECT_EQ(net->params() - before, per_channel) << name;
  }
}

TEST_P(EveryArchitecture, RejectsAWrongNumberOfWidthsNamingTheGroups) {
  auto net = test::build_net(GetParam(), {3, 32, 32}, 0.125);
  try {
    test::build_net(GetParam(), {3, 32, 32}, 1.0, {4, 4, 4});
    FAIL() << "three widths accepted";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(
        message.find(GetParam() + ": expected " + std::to_string(net->groups().size()) + " widths"),
        std::string::npos)
        << message;
    EXPECT_NE(message.find(net->groups().front().name), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, EveryArchitecture, ::testing::ValuesIn(kArchitectures));

}  // namespace
}  // namespace gear::plugins::architectures
