// VGG-11's training forward and backward against its definition, written here with torch's
// functional ops on the net's own parameters: every layer a 3x3 convolution with padding 1 (the
// plugin runs the ones on 1x1 planes as 1x1 convolutions of their centre taps, and fuses norm and
// ReLU), batch-statistics BatchNorm, ReLU, 2x2 max-pools skipped along sides of 1, an average
// pool and the 1x1 classifier; at 28x28, where the last two layers see 1x1 planes.
#include <gtest/gtest.h>
#include <torch/nn/modules/conv.h>

#include <string>
#include <vector>

#include "reference_ops.h"

namespace gear::plugins::architectures {
namespace {

// VGG-11's configuration: a pool after convs 0, 1, 3, 5 and 7.
const std::vector<bool> kVgg11PoolAfter = {true, true, false, true, false, true, false, true};

torch::Tensor vgg_reference_forward(torch::nn::Module& net, const torch::Tensor& input,
                                    std::vector<int64_t>& plane_sides) {
  torch::Tensor x = input;
  for (size_t i = 0; i < kVgg11PoolAfter.size(); ++i) {
    const std::string index = std::to_string(i);
    plane_sides.push_back(x.size(2));
    x = torch::relu(
        reference::norm(net, "bn" + index, reference::conv(net, "conv" + index, x, 1, 1)));
    if (!kVgg11PoolAfter[i]) continue;
    const int64_t kh = x.size(2) > 1 ? 2 : 1, kw = x.size(3) > 1 ? 2 : 1;
    if (kh > 1 || kw > 1) x = torch::max_pool2d(x, {kh, kw}, {kh, kw});
  }
  auto& classifier = reference::module_at<torch::nn::Conv2dImpl>(net, "classifier");
  return torch::conv2d(torch::adaptive_avg_pool2d(x, {1, 1}), classifier.weight, classifier.bias)
      .flatten(1);
}

class VggReference : public ::testing::TestWithParam<bool> {};

TEST_P(VggReference, TrainingForwardAndGradientsMatchTheDefinition) {
  torch::manual_seed(23);
  const auto [net, input] = reference::double_net("vgg11", GetParam());
  const torch::Tensor got = net->forward(input);
  std::vector<int64_t> sides;
  const torch::Tensor want = vgg_reference_forward(*net, input, sides);
  // The case this test is for: the last two convolutions see 1x1 planes.
  EXPECT_EQ(sides, (std::vector<int64_t>{28, 14, 7, 7, 3, 3, 1, 1}));
  reference::expect_same_training_step(*net, got, want);
}

INSTANTIATE_TEST_SUITE_P(Layouts, VggReference, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ChannelsLast" : "Nchw";
                         });

}  // namespace
}  // namespace gear::plugins::architectures
