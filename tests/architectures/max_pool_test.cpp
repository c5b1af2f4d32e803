// max_pool_2x2 against torch::max_pool2d(x, 2, 2): values and gradients identical, ties, NaN,
// odd sides (whose last row and column get no gradient, also in reused memory), double backward,
// and the fallbacks.

#include "max_pool.h"

#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/nn/functional/pooling.h>

#include <limits>

namespace gear::plugins::architectures {
namespace {

torch::Tensor reference(const torch::Tensor& x) { return torch::max_pool2d(x, {2, 2}, {2, 2}); }

// Pools `input` both ways with the same upstream gradient; asserts identical outputs and input
// gradients (NaN-aware: NaN positions must agree).
void expect_same_as_torch(const torch::Tensor& input) {
  torch::Tensor a = input.detach().clone().requires_grad_(true);
  torch::Tensor b = input.detach().clone().requires_grad_(true);
  torch::Tensor ours = max_pool_2x2(a), theirs = reference(b);
  ASSERT_EQ(ours.sizes(), theirs.sizes());
  EXPECT_TRUE(torch::equal(ours.isnan(), theirs.isnan()));
  EXPECT_TRUE(torch::equal(ours.nan_to_num(0), theirs.nan_to_num(0)));
  torch::Tensor upstream = torch::randn(ours.sizes(), input.options());
  {
    // The backward writes every element of its new gradient without a zero fill: freed NaNs of
    // the input's size, which its allocation is likely to reuse, must not show through.
    torch::Tensor junk =
        torch::full(input.sizes(), std::numeric_limits<double>::quiet_NaN(), input.options());
  }
  ours.backward(upstream);
  theirs.backward(upstream);
  EXPECT_TRUE(torch::equal(a.grad(), b.grad())) << "gradients route to different elements";
}

TEST(MaxPool2x2, MatchesTorchOnRandomFloatAndDouble) {
  torch::manual_seed(0);
  expect_same_as_torch(torch::randn({4, 3, 28, 28}));
  expect_same_as_torch(torch::randn({2, 5, 8, 6}, torch::kDouble));
}

TEST(MaxPool2x2, OddSidesDropTheLastRowAndColumn) {
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({2, 3, 7, 9});
  EXPECT_EQ(max_pool_2x2(x).sizes(), (std::vector<int64_t>{2, 3, 3, 4}));
  expect_same_as_torch(x);
  expect_same_as_torch(torch::randn({1, 1, 3, 2}));
}

TEST(MaxPool2x2, TiesGoToTheFirstElementInRowMajorOrder) {
  // Post-ReLU activations are full of equal zeros; the gradient must go where LibTorch sends it.
  torch::manual_seed(2);
  expect_same_as_torch(torch::randint(0, 2, {3, 4, 10, 10}).to(torch::kFloat));
  torch::Tensor window = torch::tensor({1.0f, 5.0f, 5.0f, 5.0f}).view({1, 1, 2, 2});
  window.requires_grad_(true);
  max_pool_2x2(window).sum().backward();
  EXPECT_TRUE(torch::equal(window.grad().flatten(), torch::tensor({0.0f, 1.0f, 0.0f, 0.0f})));
}

TEST(MaxPool2x2, NanAndInfinityPropagateLikeTorch) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  torch::Tensor x = torch::tensor({nan, 1.0f, 2.0f, nan,   // window 0: two NaN
                                   -inf, -inf, 3.0f, inf,  // window 1 and 2 share rows
                                   -inf, -inf, 0.0f, -0.0f})
                        .view({1, 1, 3, 4});
  // 3 rows: the last is dropped; windows are (nan,1 / -inf,-inf) and (2,nan / 3,inf).
  expect_same_as_torch(x);
  expect_same_as_torch(torch::full({1, 2, 4, 4}, -inf));
}

TEST(MaxPool2x2, DoubleBackwardMatchesTorch) {
  torch::manual_seed(3);
  torch::Tensor x = torch::randn({2, 2, 6, 6}, torch::kDouble).requires_grad_(true);
  torch::Tensor upstream = torch::randn({2, 2, 3, 3}, torch::kDouble).requires_grad_(true);
  auto ours = torch::autograd::grad({max_pool_2x2(x)}, {x}, {upstream}, true, true)[0];
  auto theirs = torch::autograd::grad({reference(x)}, {x}, {upstream}, true, true)[0];
  EXPECT_TRUE(torch::equal(ours, theirs));
  ASSERT_TRUE(ours.requires_grad());
  // d(sum(grad_x * w)) / d upstream: the pooled w, the same both ways.
  torch::Tensor w = torch::randn_like(x);
  auto ours2 = torch::autograd::grad({(ours * w).sum()}, {upstream})[0];
  auto theirs2 = torch::autograd::grad({(theirs * w).sum()}, {upstream})[0];
  EXPECT_TRUE(torch::allclose(ours2, theirs2));
}

TEST(MaxPool2x2, FallsBackForChannelsLastStridedAndTinySides) {
  torch::manual_seed(4);
  expect_same_as_torch(torch::randn({2, 8, 6, 6}).contiguous(torch::MemoryFormat::ChannelsLast));
  torch::Tensor x = torch::randn({1, 2, 1, 6});
  EXPECT_THROW(max_pool_2x2(x), c10::Error);  // LibTorch's own error for a side below 2
  torch::Tensor strided = torch::randn({2, 3, 8, 8}).transpose(2, 3);  // not contiguous
  expect_same_as_torch(strided);
}

}  // namespace
}  // namespace gear::plugins::architectures
