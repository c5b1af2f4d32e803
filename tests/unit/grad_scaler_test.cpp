// fp16 loss scaling: GradScaler against torch.cuda.amp.GradScaler's rules, and a training epoch
// whose scaled gradients overflow skipping its steps instead of applying them.

#include "gear/host/grad_scaler.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace gear {
namespace {

using host::GradScaler;

torch::Tensor with_grad(const torch::Tensor& value, const torch::Tensor& grad) {
  torch::Tensor p = value.clone().requires_grad_(true);
  p.mutable_grad() = grad.clone();
  return p;
}

TEST(GradScaler, ScalesTheLossAndUnscalesTheGradientsInPlace) {
  GradScaler scaler(8.0);
  EXPECT_TRUE(torch::equal(scaler.scale_loss(torch::tensor(1.5)), torch::tensor(12.0)));
  torch::Tensor a = with_grad(torch::zeros({2}), torch::tensor({8.0, -16.0}));
  torch::Tensor b = torch::zeros({3}).requires_grad_(true);  // no gradient: skipped
  EXPECT_FALSE(scaler.unscale_and_check({a, b}, nullptr));
  EXPECT_TRUE(torch::equal(a.grad(), torch::tensor({1.0, -2.0})));
  EXPECT_FALSE(b.grad().defined());
}

TEST(GradScaler, AnInfinityOrANanInAnyGradientIsAnOverflow) {
  GradScaler scaler(2.0);
  const float inf = std::numeric_limits<float>::infinity();
  for (float bad : {inf, -inf, std::nanf("")}) {
    torch::Tensor fine = with_grad(torch::zeros({2}), torch::tensor({2.0f, 4.0f}));
    torch::Tensor broken = with_grad(torch::zeros({3}), torch::tensor({1.0f, bad, 1.0f}));
    EXPECT_TRUE(scaler.unscale_and_check({fine, broken}, nullptr)) << bad;
    EXPECT_TRUE(scaler.unscale_and_check({broken, fine}, nullptr)) << bad;
  }
}

TEST(GradScaler, BacksOffOnOverflowAndGrowsAfterTheIntervalOfGoodSteps) {
  GradScaler scaler(1024.0, 2.0, 0.5, 3);
  EXPECT_TRUE(scaler.update(false));
  EXPECT_TRUE(scaler.update(false));
  EXPECT_EQ(scaler.scale(), 1024.0);
  EXPECT_EQ(scaler.good_steps(), 2);
  EXPECT_FALSE(scaler.update(true)) << "an overflowed step is not applied";
  EXPECT_EQ(scaler.scale(), 512.0);
  EXPECT_EQ(scaler.good_steps(), 0) << "an overflow restarts the count";
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(scaler.update(false));
  EXPECT_EQ(scaler.scale(), 512.0);
  EXPECT_TRUE(scaler.update(false));  // the third good step in a row
  EXPECT_EQ(scaler.scale(), 1024.0);
  EXPECT_EQ(scaler.good_steps(), 0);
}

TEST(GradScaler, ItsStateRoundTripsThroughAResumePoint) {
  GradScaler scaler(4096.0, 2.0, 0.5, 10);
  scaler.update(true);
  for (int i = 0; i < 7; ++i) scaler.update(false);
  GradScaler restored;
  restored.load_state(scaler.state());
  EXPECT_EQ(restored.scale(), 2048.0);
  EXPECT_EQ(restored.good_steps(), 7);
  EXPECT_THROW(restored.load_state(torch::zeros({3})), std::invalid_argument);
}

TEST(GradScaler, RefusesScalesThatCannotWork) {
  EXPECT_THROW(GradScaler(0.0), std::invalid_argument);
  EXPECT_THROW(GradScaler(1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(GradScaler(1.0, 2.0, 1.0), std::invalid_argument);
  EXPECT_THROW(GradScaler(1.0, 2.0, 0.5, 0), std::invalid_argument);
}

}  // namespace
}  // namespace gear
