// ResNet-18's training forward and backward against its definition, written here with torch's
// functional ops on the net's own parameters: batch-statistics BatchNorm, ReLU, the residual sums
// and each stage's projection shortcut as a stride-2 1x1 convolution (the plugin runs it as a
// subsample and a stride-1 1x1 convolution, and fuses norm, sum and ReLU), in NCHW and in
// channels-last, at a size where a stage halves an odd side (7 -> 4).
#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/version.h>

#include <string>
#include <vector>

#include "gear/host/memory_format.h"
#include "reference_ops.h"
#include "test_support.h"

namespace gear::plugins::architectures {
namespace {

using reference::conv;
using reference::has_module;
using reference::module_at;
using reference::norm;

torch::Tensor reference_forward(torch::nn::Module& net, const torch::Tensor& input) {
  auto& stem = module_at<torch::nn::Conv2dImpl>(net, "stem");
  torch::Tensor x =
      torch::relu(norm(net, "stem_bn", conv(net, "stem", input, (*stem.options.stride())[0], 1)));
  for (int stage = 1; stage <= 4; ++stage) {
    for (int block = 0; block < 2; ++block) {
      const std::string p =
          "stage" + std::to_string(stage) + ".block" + std::to_string(block) + ".";
      const int64_t stride = stage > 1 && block == 0 ? 2 : 1;
      torch::Tensor y = torch::relu(norm(net, p + "bn1", conv(net, p + "conv1", x, stride, 1)));
      y = norm(net, p + "bn2", conv(net, p + "conv2", y, 1, 1));
      const bool projects = has_module(net, p + "shortcut");
      EXPECT_EQ(projects, stride == 2) << p;
      const torch::Tensor stream =
          projects ? norm(net, p + "shortcut_bn", conv(net, p + "shortcut", x, 2, 0)) : x;
      x = torch::relu(y + stream);
    }
  }
  auto& classifier = module_at<torch::nn::LinearImpl>(net, "classifier");
  return torch::linear(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1), classifier.weight,
                       classifier.bias);
}

class ResNetReference : public ::testing::TestWithParam<bool> {};

TEST_P(ResNetReference, TrainingForwardAndGradientsMatchTheDefinition) {
  torch::manual_seed(21);
  const auto [net, input] = reference::double_net("resnet18", GetParam());
  const torch::Tensor got = net->forward(input);
  reference::expect_same_training_step(*net, got, reference_forward(*net, input));
}

// The shortcut's subsample is what lets ResNet train channels-last on LibTorch 1.13, whose
// backward of a strided 1x1 convolution there corrupts the heap: the host refuses such a net.
TEST(ResNetChannelsLast, TheHostFindsNoHazardInResNetButDoesInAStridedOneByOne) {
  auto net = test::build_net("resnet18", {3, 32, 32}, 0.125);
  EXPECT_EQ(host::channels_last_hazard(*net), "");
  torch::nn::Sequential strided(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 8, 1).stride(2).bias(false)));
#if TORCH_VERSION_MAJOR < 2
  EXPECT_NE(host::channels_last_hazard(*strided).find("strided 1x1 convolution"),
            std::string::npos);
#else
  EXPECT_EQ(host::channels_last_hazard(*strided), "");
#endif
}

INSTANTIATE_TEST_SUITE_P(Layouts, ResNetReference, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ChannelsLast" : "Nchw";
                         });

}  // namespace
}  // namespace gear::plugins::architectures
