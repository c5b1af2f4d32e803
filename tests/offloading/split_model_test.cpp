// Split models: head and tail of real architectures against the whole net, which layers are
// cuts, the bottleneck's quantization and gradient, and the bytes its symbols take.
#include "gear/host/offload/split_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "test_support.h"

namespace gear::host {
namespace {

std::string cut_error(GrowableNet& net, const std::string& layer,
                      const std::vector<int64_t>& shape) {
  try {
    check_cut(net, layer, shape);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(SplitModel, HeadThenTailIsTheWholeNetAtEveryVggLayer) {
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.125);
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({3, 1, 28, 28});
  test::settle(*net, x);
  const torch::Tensor whole = net->forward(x).detach();
  for (const std::string& layer : net->group_names()) {
    EXPECT_EQ(cut_error(*net, layer, {1, 28, 28}), "") << layer;
    const torch::Tensor sent = split_head(*net, layer, x);
    EXPECT_EQ(sent.size(1), net->width(layer));
    const torch::Tensor tail = split_tail(*net, layer, sent, {3, 1, 28, 28});
    EXPECT_TRUE(torch::allclose(tail, whole, 1e-5, 1e-6)) << layer;
  }
  // A received tensor of another frame gives that frame's output.
  const torch::Tensor other = split_head(*net, "conv3", x.flip(0));
  EXPECT_TRUE(
      torch::allclose(split_tail(*net, "conv3", other, {3, 1, 28, 28}), whole.flip(0), 1e-5, 1e-6));
}

TEST(SplitModel, MobileNetV1CutsAtEveryLayer) {
  // No residual connections: every group is a cut, and head then tail is the whole net.
  auto net = test::build_net("mobilenet_v1", {3, 32, 32}, 0.25);
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({2, 3, 32, 32});
  test::settle(*net, x);
  const torch::Tensor whole = net->forward(x).detach();
  int64_t cuts = 0;
  for (const std::string& layer : net->group_names()) {
    if (!net->group_tapped(layer)) continue;
    ++cuts;
    EXPECT_EQ(cut_error(*net, layer, {3, 32, 32}), "") << layer;
    const torch::Tensor tail = split_tail(*net, layer, split_head(*net, layer, x), {2, 3, 32, 32});
    EXPECT_TRUE(torch::allclose(tail, whole, 1e-4, 1e-5)) << layer;
  }
  EXPECT_GE(cuts, 10);
}

TEST(SplitModel, LayersThatInformationBypassesAreNotCuts) {
  auto net = test::build_net("resnet18", {1, 28, 28}, 0.125);
  net->eval();
  std::string inner, stream;
  for (const std::string& name : net->group_names()) {
    if (name.find(".block") != std::string::npos && inner.empty()) inner = name;
    if (name.find(".block") == std::string::npos && stream.empty()) stream = name;
  }
  ASSERT_FALSE(inner.empty());
  ASSERT_FALSE(stream.empty());
  // A block's inner layer has the residual connection around it.
  EXPECT_NE(cut_error(*net, inner, {1, 28, 28}).find("is not a cut"), std::string::npos) << inner;
  // A residual stream is passed once per block.
  EXPECT_NE(cut_error(*net, stream, {1, 28, 28}).find("times in one forward pass"),
            std::string::npos)
      << stream;
  auto vgg = test::build_net("vgg11", {1, 28, 28}, 0.125);
  EXPECT_NE(cut_error(*vgg, "conv44", {1, 28, 28}).find("did you mean 'conv4'"), std::string::npos)
      << cut_error(*vgg, "conv44", {1, 28, 28});
}

TEST(Bottleneck, SymbolsTakeTwoToTheBitsLevelsAndDecodeThroughTheQuantizedCode) {
  torch::manual_seed(4);
  Bottleneck b(16, 3, 2);
  const torch::Tensor a = 3 * torch::randn({2, 16, 5, 5});
  const torch::Tensor s = b->symbols(a);
  EXPECT_EQ(s.sizes(), (std::vector<int64_t>{2, 3, 5, 5}));
  EXPECT_EQ(s.scalar_type(), torch::kUInt8);
  EXPECT_LE(s.max().item<int64_t>(), 3);
  EXPECT_EQ(s.flatten().to(torch::kLong).bincount().gt(0).sum().item<int64_t>(), 4);  // all levels
  // forward() decodes the quantized code: the same as decoding symbols / 3 by hand.
  auto* decoder = b->named_children()[1].value()->as<torch::nn::Conv2d>();
  ASSERT_NE(decoder, nullptr);
  const torch::Tensor by_hand = decoder->forward(s.to(torch::kFloat) / 3.0);
  EXPECT_TRUE(torch::allclose(b->forward(a), by_hand, 1e-5, 1e-6));
  // The rate is the mean squashed code, in (0, 1).
  const double rate = b->rate().item<double>();
  EXPECT_GT(rate, 0.0);
  EXPECT_LT(rate, 1.0);
}

TEST(Bottleneck, GradientsReachTheEncoderThroughTheQuantizer) {
  torch::manual_seed(5);
  Bottleneck b(8, 2, 4);
  const torch::Tensor a = torch::randn({4, 8, 3, 3});
  const torch::Tensor decoded = b->forward(a);
  (decoded.pow(2).sum() + b->rate()).backward();
  for (const auto& p : b->named_parameters())
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  EXPECT_THROW(Bottleneck(8, 0, 4), std::invalid_argument);
  EXPECT_THROW(Bottleneck(8, 2, 9), std::invalid_argument);
}

TEST(SymbolBytes, PacksToTheBitsAndDeflatesOnlyWhenThatIsSmaller) {
  torch::manual_seed(6);
  // Random 4-bit symbols do not deflate: 1000 symbols pack into 500 bytes, plus the header.
  EXPECT_EQ(symbol_bytes(torch::randint(0, 16, {10, 10, 10}, torch::kUInt8), 4), 504);
  EXPECT_EQ(symbol_bytes(torch::randint(0, 2, {8, 100}, torch::kUInt8), 1), 104);
  EXPECT_EQ(symbol_bytes(torch::randint(0, 256, {3, 7}, torch::kUInt8), 8), 25);
  // All zeros deflate far below the packed size.
  EXPECT_LT(symbol_bytes(torch::zeros({16, 16, 16}, torch::kUInt8), 4), 40);
}

}  // namespace
}  // namespace gear::host
