#include <gtest/gtest.h>

#include "gear/architecture.h"
#include "test_support.h"

namespace gear {
namespace {

std::shared_ptr<GrowableNet> build(const std::string& name, std::vector<int64_t> shape,
                                   double width, std::vector<int64_t> widths = {}) {
  const auto& registry = test::real_plugins();
  auto arch = registry.create_architecture(
      name, test::make_config(registry.find(name)->info.schema, {}, "model"));
  ModelSpec spec;
  spec.input_shape = std::move(shape);
  spec.num_classes = 10;
  spec.width = width;
  spec.widths = std::move(widths);
  return arch->build(spec);
}

// Gives every BatchNorm non-trivial running statistics, then switches to eval mode.
void settle(GrowableNet& net, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  net.train();
  for (int i = 0; i < 3; ++i) net.forward(x * (1.0 + 0.3 * i));
  net.eval();
}

TEST(Vgg, ForwardShapesForEveryDepthAndInput) {
  for (const std::string name : {"vgg11", "vgg13", "vgg16", "vgg19"}) {
    for (const auto& shape : std::vector<std::vector<int64_t>>{{1, 28, 28}, {3, 32, 32}, {3, 64, 64}}) {
      auto net = build(name, shape, 0.125);
      std::vector<int64_t> batch = {2};
      batch.insert(batch.end(), shape.begin(), shape.end());
      torch::NoGradGuard no_grad;
      net->eval();
      EXPECT_EQ(net->forward(torch::randn(batch)).sizes(), (std::vector<int64_t>{2, 10}))
          << name << " " << shape[1];
    }
  }
}

TEST(Vgg, ParamsAndMacsMatchHandCount) {
  // vgg11 at explicit widths 2..9 on 1x28x28: conv params w_i*w_{i-1}*9 + BN 2*w_i, classifier
  // 9*10+10. Spatial sizes 28,14,7,7,3,3,1,1 (pools: 28->14->7->3->1, the last one skipped).
  auto net = build("vgg11", {1, 28, 28}, 1.0, {2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(net->params(), 22 + 60 + 116 + 190 + 282 + 392 + 520 + 666 + 100);
  EXPECT_EQ(net->macs({1, 28, 28}),
            784 * 18 + 196 * 54 + 49 * 108 + 49 * 180 + 9 * 270 + 9 * 378 + 504 + 648 + 90);
}

TEST(Vgg, FullSizeVgg19IsTheTwentyMillionParameterModel) {
  auto net = build("vgg19", {3, 32, 32}, 1.0);
  EXPECT_EQ(net->params(), 20035018);
  EXPECT_EQ(net->widths().front(), 64);
  EXPECT_EQ(net->widths().back(), 512);
}

TEST(Vgg, WidenWithZeroOutgoingKeepsOutputsOnEveryGroup) {
  torch::manual_seed(3);
  auto net = build("vgg11", {3, 32, 32}, 0.125);
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  settle(*net, x);
  torch::NoGradGuard no_grad;
  torch::Tensor before = net->forward(x);
  for (const auto& name : net->group_names()) {
    net->widen(name, 3, [](const TiedTensor& t, int64_t count) -> torch::Tensor {
      if (t.role != TieRole::kProducerWeight) return {};
      auto sizes = t.tensor.sizes().vec();
      sizes[0] = count;
      return torch::randn(sizes);
    });
  }
  auto after = net->forward(x);
  EXPECT_TRUE(torch::allclose(after, before, 1e-5, 1e-5)) << (after - before).abs().max();
  for (auto w : net->widths()) EXPECT_GT(w, 3);
}

TEST(Vgg, SelectAfterZeroingKeepsOutputsOnEveryGroup) {
  torch::manual_seed(4);
  auto net = build("vgg13", {1, 28, 28}, 0.125);
  torch::Tensor x = torch::randn({4, 1, 28, 28});
  settle(*net, x);
  torch::NoGradGuard no_grad;
  std::vector<std::vector<int64_t>> keeps;
  for (const auto& name : net->group_names()) {
    int64_t width = net->width(name);
    std::vector<int64_t> keep;
    for (const auto& t : net->tied_tensors(name)) {
      if (t.role != TieRole::kConsumerWeight) continue;
      for (int64_t c = 1; c < width; c += 2) t.tensor.select(1, c).zero_();
    }
    for (int64_t c = 0; c < width; c += 2) keep.push_back(c);
    keeps.push_back(keep);
  }
  torch::Tensor before = net->forward(x);
  auto names = net->group_names();
  for (size_t i = 0; i < names.size(); ++i) net->select(names[i], keeps[i]);
  torch::Tensor after = net->forward(x);
  EXPECT_TRUE(torch::allclose(after, before, 1e-5, 1e-5)) << (after - before).abs().max();
}

TEST(Vgg, RejectsWrongWidthCount) {
  try {
    build("vgg11", {1, 28, 28}, 1.0, {4, 4, 4});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expected 8 widths"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gear
