// gear::conv2d against LibTorch's convolution: the one-channel kernel's values and weight and
// bias gradients in double and float, its independence of the thread count, double backward, the
// centre-tap rule on 1x1 planes, and every shape that must fall back to LibTorch unchanged.

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <gear/conv.h>
#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/nn/modules/conv.h>

#include <string>

#include "op_calls.h"

namespace gear {
namespace {

// How many times `f` ran gear::conv2d's own kernel (it reports itself to RecordFunction).
template <typename F>
int own_kernel_runs(const F& f) {
  return test::op_calls("gear::conv2d", f);
}

torch::nn::Conv2d same_3x3(int64_t in, int64_t out, bool bias, torch::Dtype type = torch::kFloat) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(bias));
  conv->to(type);
  return conv;
}

struct Grads {
  torch::Tensor output, weight, bias;
};

// Output and parameter gradients of `conv` on `input` for the upstream gradient `upstream`, by
// gear::conv2d (own = true) or by the module's own forward.
Grads run(torch::nn::Conv2d& conv, const torch::Tensor& input, const torch::Tensor& upstream,
          bool own) {
  conv->zero_grad();
  torch::Tensor out = own ? conv2d(*conv, input) : conv->forward(input);
  out.backward(upstream);
  Grads g{out.detach(), conv->weight.grad().clone(), torch::Tensor()};
  if (conv->bias.defined()) g.bias = conv->bias.grad().clone();
  return g;
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, double tolerance,
                  const char* what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const double scale = std::max(1.0, b.abs().max().item<double>());
  EXPECT_LE((a - b).abs().max().item<double>(), tolerance * scale) << what;
}

// The own kernel's forward and gradients against LibTorch's on `input`, which it must take.
void expect_matches_torch(torch::nn::Conv2d& conv, const torch::Tensor& input, double tolerance) {
  torch::Tensor upstream = torch::randn(
      {input.size(0), conv->options.out_channels(), input.size(2), input.size(3)}, input.options());
  Grads ours;
  EXPECT_EQ(own_kernel_runs([&] { ours = run(conv, input, upstream, true); }), 1);
  const Grads theirs = run(conv, input, upstream, false);
  expect_close(ours.output, theirs.output, tolerance, "output");
  expect_close(ours.weight, theirs.weight, tolerance, "weight gradient");
  if (conv->bias.defined()) expect_close(ours.bias, theirs.bias, tolerance, "bias gradient");
}

TEST(Conv2d, OneChannelKernelMatchesTorchInDouble) {
  torch::manual_seed(0);
  // Odd, non-square sides and a batch that is not a whole number of the kernel's image blocks.
  const torch::Tensor input = torch::randn({7, 1, 9, 11}, torch::kDouble);
  for (bool bias : {false, true}) {
    auto conv = same_3x3(1, 5, bias, torch::kDouble);
    expect_matches_torch(conv, input, 1e-12);
  }
}

TEST(Conv2d, OneChannelKernelMatchesTorchInFloatOnFashionMnistStems) {
  torch::manual_seed(1);
  const torch::Tensor input = torch::rand({37, 1, 28, 28});
  for (int64_t channels : {8, 16, 86}) {
    auto conv = same_3x3(1, channels, false);
    expect_matches_torch(conv, input, 1e-4);
  }
}

TEST(Conv2d, WeightGradientDoesNotDependOnTheThreadCount) {
  torch::manual_seed(2);
  const torch::Tensor input = torch::randn({41, 1, 28, 28});
  auto conv = same_3x3(1, 16, true);
  const torch::Tensor upstream = torch::randn({41, 16, 28, 28});
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const Grads one = run(conv, input, upstream, true);
  at::set_num_threads(2);
  const Grads two = run(conv, input, upstream, true);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one.output, two.output));
  EXPECT_TRUE(torch::equal(one.weight, two.weight));
  EXPECT_TRUE(torch::equal(one.bias, two.bias));
}

TEST(Conv2d, FrozenWeightStillGivesTheBiasGradient) {
  torch::manual_seed(3);
  const torch::Tensor input = torch::randn({5, 1, 6, 6});
  auto conv = same_3x3(1, 4, true);
  conv->weight.requires_grad_(false);
  torch::Tensor out = conv2d(*conv, input);
  out.backward(torch::ones_like(out));
  EXPECT_FALSE(conv->weight.grad().defined());
  // d(sum of outputs) / d(bias_o) is the number of output pixels per channel.
  EXPECT_TRUE(torch::allclose(conv->bias.grad(), torch::full({4}, 5.0 * 36)));
}

TEST(Conv2d, DoubleBackwardMatchesTorch) {
  torch::manual_seed(4);
  const torch::Tensor input = torch::randn({3, 1, 8, 8}, torch::kDouble);
  auto conv = same_3x3(1, 3, true, torch::kDouble);
  const torch::Tensor upstream = torch::randn({3, 3, 8, 8}, torch::kDouble);
  // A gradient penalty: the squared norm of the weight gradient, differentiated again.
  auto penalty_grad = [&](bool own) {
    torch::Tensor out = own ? conv2d(*conv, input) : conv->forward(input);
    torch::Tensor gw = torch::autograd::grad({(out * upstream).sum()}, {conv->weight}, {},
                                             /*retain_graph=*/true, /*create_graph=*/true)[0];
    torch::Tensor ours =
        torch::autograd::grad({(gw * gw).sum() + (out * out).sum()}, {conv->weight, conv->bias})[0];
    return ours;
  };
  torch::Tensor ours;
  EXPECT_EQ(own_kernel_runs([&] { ours = penalty_grad(true); }), 1);
  expect_close(ours, penalty_grad(false), 1e-10, "second-order weight gradient");
}

TEST(Conv2d, OneByOnePlanesUseTheCentreTaps) {
  torch::manual_seed(5);
  const torch::Tensor input = torch::randn({4, 6, 1, 1});
  auto conv = same_3x3(6, 3, true);
  const torch::Tensor upstream = torch::randn({4, 3, 1, 1});
  const Grads ours = run(conv, input, upstream, true);
  const Grads theirs = run(conv, input, upstream, false);
  expect_close(ours.output, theirs.output, 1e-5, "output");
  expect_close(ours.weight, theirs.weight, 1e-5, "weight gradient");
  expect_close(ours.bias, theirs.bias, 1e-5, "bias gradient");
  // The eight outer taps only see padding.
  torch::Tensor outer = ours.weight.clone();
  outer.select(2, 1).select(2, 1).zero_();
  EXPECT_EQ(outer.abs().max().item<float>(), 0.0f);
}

// Shapes the own kernel must leave to LibTorch: the result is the module's forward exactly.
void expect_falls_back(torch::nn::Conv2d& conv, const torch::Tensor& input) {
  torch::Tensor ours, theirs = conv->forward(input);
  EXPECT_EQ(own_kernel_runs([&] { ours = conv2d(*conv, input); }), 0);
  EXPECT_TRUE(torch::equal(ours, theirs));
}

TEST(Conv2d, OtherShapesFallBackToTorch) {
  torch::manual_seed(6);
  const torch::Tensor grey = torch::randn({2, 1, 10, 10});
  auto two_inputs = same_3x3(2, 4, false);
  expect_falls_back(two_inputs, torch::randn({2, 2, 10, 10}));
  torch::nn::Conv2d strided(torch::nn::Conv2dOptions(1, 4, 3).padding(1).stride(2).bias(false));
  expect_falls_back(strided, grey);
  torch::nn::Conv2d unpadded(torch::nn::Conv2dOptions(1, 4, 3).bias(false));
  expect_falls_back(unpadded, grey);
  torch::nn::Conv2d five(torch::nn::Conv2dOptions(1, 4, 5).padding(2).bias(false));
  expect_falls_back(five, grey);
  torch::nn::Conv2d reflect(
      torch::nn::Conv2dOptions(1, 4, 3).padding(1).padding_mode(torch::kReflect).bias(false));
  expect_falls_back(reflect, grey);
  // A weight whose shape its options no longer describe gets LibTorch's shape error.
  auto resized = same_3x3(1, 4, false);
  resized->weight.set_data(torch::randn({4, 2, 3, 3}));
  EXPECT_THROW(conv2d(*resized, grey), c10::Error);
}

TEST(Conv2d, InputGradientsAndChannelsLastGoToTorch) {
  torch::manual_seed(7);
  auto conv = same_3x3(1, 4, false);
  torch::Tensor input = torch::randn({2, 1, 7, 7}).requires_grad_(true);
  torch::Tensor out;
  EXPECT_EQ(own_kernel_runs([&] { out = conv2d(*conv, input); }), 0);
  out.sum().backward();
  EXPECT_TRUE(input.grad().defined());
  // A channels-last run wants channels-last output, which the own kernel does not write. With one
  // channel, .contiguous(ChannelsLast) keeps NCHW strides (both layouts hold); a copy to the
  // layout, as Module::to and the host's batch conversion make, gives channels-last strides.
  auto channels_last = [](const torch::Tensor& t) {
    torch::Tensor copy = t.to(t.options(), false, true, torch::MemoryFormat::ChannelsLast);
    EXPECT_EQ(copy.suggest_memory_format(), torch::MemoryFormat::ChannelsLast);
    return copy;
  };
  const torch::Tensor grey = torch::randn({2, 1, 7, 7});
  expect_falls_back(conv, channels_last(grey));
  conv->weight.set_data(channels_last(conv->weight.detach()));
  expect_falls_back(conv, grey);
}

TEST(Conv2d, MixedPrecisionGoesToTorch) {
  // Autocast casts the convolution's operands to bfloat16; the own kernel must not skip that.
  auto conv = same_3x3(1, 4, false);
  const torch::Tensor grey = torch::randn({2, 1, 7, 7});
  at::autocast::set_cpu_enabled(true);
  torch::Tensor out;
  const int runs = own_kernel_runs([&] { out = conv2d(*conv, grey); });
  at::autocast::set_cpu_enabled(false);
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
}

TEST(Conv2d, SwitchedOffRunsTorch) {
  auto conv = same_3x3(1, 4, false);
  set_conv_kernels(false);
  EXPECT_FALSE(conv_kernels());
  expect_falls_back(conv, torch::randn({2, 1, 7, 7}));
  set_conv_kernels(true);
  EXPECT_TRUE(conv_kernels());
}

}  // namespace
}  // namespace gear
