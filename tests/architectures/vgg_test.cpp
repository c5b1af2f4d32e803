#include <gtest/gtest.h>

#include "gear/architecture.h"
#include "test_support.h"

namespace gear::plugins::architectures {
namespace {

std::shared_ptr<GrowableNet> build(const std::string& name, std::vector<int64_t> shape,
                                   double width, std::vector<int64_t> widths = {}) {
  return test::build_net(name, std::move(shape), width, std::move(widths));
}

TEST(Vgg, ForwardShapesForEveryDepthAndInput) {
  for (const std::string name : {"vgg11", "vgg13", "vgg16", "vgg19"}) {
    for (const auto& shape :
         std::vector<std::vector<int64_t>>{{1, 28, 28}, {3, 32, 32}, {3, 64, 64}}) {
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

TEST(Vgg, RejectsWrongWidthCount) {
  try {
    build("vgg11", {1, 28, 28}, 1.0, {4, 4, 4});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expected 8 widths"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gear::plugins::architectures
