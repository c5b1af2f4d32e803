#include <gtest/gtest.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "gear/growable_net.h"

namespace gear {
namespace {

namespace nn = torch::nn;

// conv(2->4) bn relu | conv(4->3) bn relu | avgpool 2x2, flatten | linear(12->5).
// Group "a": conv1 rows, bn1, conv2 columns. Group "b": conv2 rows, bn2, fc columns in blocks
// of 4 (the flattened 2x2 map per channel).
class TinyNet : public GrowableNet {
 public:
  TinyNet() {
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(2, 4, 3).padding(1)));
    bn1_ = register_module("bn1", nn::BatchNorm2d(4));
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(4, 3, 3).padding(1)));
    bn2_ = register_module("bn2", nn::BatchNorm2d(3));
    fc_ = register_module("fc", nn::Linear(12, 5));
    auto& a = add_group("a", 8);
    tie(a, TieKind::kProducer, "conv1", conv1_.ptr());
    tie(a, TieKind::kNorm, "bn1", bn1_.ptr());
    tie(a, TieKind::kConsumer, "conv2", conv2_.ptr());
    auto& b = add_group("b", 6);
    tie(b, TieKind::kProducer, "conv2", conv2_.ptr());
    tie(b, TieKind::kNorm, "bn2", bn2_.ptr());
    tie(b, TieKind::kConsumer, "fc", fc_.ptr(), 4);
    check_groups();
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::relu(bn1_(conv1_(x)));
    x = torch::relu(bn2_(conv2_(x)));
    x = nn::functional::adaptive_avg_pool2d(x, nn::functional::AdaptiveAvgPool2dFuncOptions(2));
    return fc_(x.flatten(1));
  }
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  nn::Linear fc_{nullptr};
};

// Gives the BatchNorms non-trivial statistics so preservation is not trivially true.
std::shared_ptr<TinyNet> make_net() {
  torch::manual_seed(0);
  auto net = std::make_shared<TinyNet>();
  net->train();
  {
    torch::NoGradGuard no_grad;
    for (int i = 0; i < 5; ++i) net->forward(torch::randn({8, 2, 4, 4}) * 2 + 0.5);
    net->bn1_->weight.uniform_(0.5, 1.5);
    net->bn1_->bias.uniform_(-0.5, 0.5);
  }
  net->eval();
  return net;
}

const torch::Tensor& input() {
  static torch::Tensor x = (torch::manual_seed(1), torch::randn({6, 2, 4, 4}));
  return x;
}

torch::Tensor run(TinyNet& net) {
  torch::NoGradGuard no_grad;
  return net.forward(input());
}

TEST(GrowableNet, WidthsParamsAndMacsMatchHandCount) {
  auto net = make_net();
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(net->group_names(), (std::vector<std::string>{"a", "b"}));
  // conv1 4*2*9+4, bn1 2*4, conv2 3*4*9+3, bn2 2*3, fc 12*5+5.
  EXPECT_EQ(net->params(), 76 + 8 + 111 + 6 + 65);
  // conv1 64 outputs * 18, conv2 48 outputs * 36, fc 5 * 12.
  EXPECT_EQ(net->macs({2, 4, 4}), 64 * 18 + 48 * 36 + 60);
}

TEST(GrowableNet, WidenWithZeroOutgoingWeightsKeepsOutputs) {
  auto net = make_net();
  torch::Tensor before = run(*net);
  net->widen("a", 3, [](const TiedTensor& t, int64_t count) -> torch::Tensor {
    if (t.role != TieRole::kProducerWeight) return {};  // consumer columns default to zero
    auto sizes = t.tensor.sizes().vec();
    sizes[0] = count;
    return torch::randn(sizes);
  });
  net->widen("b", 2, [](const TiedTensor& t, int64_t count) -> torch::Tensor {
    if (t.role != TieRole::kProducerWeight && t.role != TieRole::kNormBias) return {};
    auto sizes = t.tensor.sizes().vec();
    sizes[0] = count;
    return torch::randn(sizes);
  });
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{7, 5}));
  EXPECT_EQ(net->conv2_->weight.sizes(), (std::vector<int64_t>{5, 7, 3, 3}));
  EXPECT_EQ(net->fc_->weight.sizes(), (std::vector<int64_t>{5, 20}));
  EXPECT_EQ(net->bn1_->running_var.size(0), 7);
  EXPECT_EQ(net->conv1_->options.out_channels(), 7);
  EXPECT_EQ(net->fc_->options.in_features(), 20);
  // +3 in a: conv1 3*(18+1), bn1 6, conv2 columns 3*9*3; +2 in b: conv2 rows 2*(7*9+1), bn2 4,
  // fc columns 2*4*5.
  EXPECT_EQ(net->params(), 266 + 57 + 6 + 81 + 128 + 4 + 40);
  EXPECT_TRUE(torch::allclose(run(*net), before, 1e-5, 1e-6));
  // The grown net still trains: gradients flow to every new tensor shape.
  net->train();
  net->forward(input()).sum().backward();
  EXPECT_EQ(net->conv1_->weight.grad().sizes(), net->conv1_->weight.sizes());
}

TEST(GrowableNet, DefaultWidenIsInert) {
  auto net = make_net();
  torch::Tensor before = run(*net);
  net->widen("b", 4);
  EXPECT_TRUE(torch::allclose(run(*net), before, 1e-5, 1e-6));
  EXPECT_TRUE(torch::all(net->bn2_->weight.slice(0, 3).eq(1)).item<bool>());
  EXPECT_TRUE(torch::all(net->bn2_->running_var.slice(0, 3).eq(1)).item<bool>());
}

TEST(GrowableNet, SelectAfterZeroingKeepsOutputs) {
  auto net = make_net();
  {
    // Zero the consumer columns of channels 1 and 3 of group a: they no longer matter.
    torch::NoGradGuard no_grad;
    net->conv2_->weight.index_fill_(1, torch::tensor({1, 3}), 0.0);
  }
  torch::Tensor before = run(*net);
  net->select("a", {0, 2});
  EXPECT_EQ(net->width("a"), 2);
  EXPECT_EQ(net->conv1_->weight.size(0), 2);
  EXPECT_EQ(net->conv2_->weight.size(1), 2);
  EXPECT_EQ(net->params(), 266 - 2 * 19 - 4 - 2 * 27);
  EXPECT_TRUE(torch::allclose(run(*net), before, 1e-5, 1e-6));
}

TEST(GrowableNet, SelectHonoursConsumerBlocks) {
  auto net = make_net();
  {
    torch::NoGradGuard no_grad;
    net->fc_->weight.slice(1, 4, 8).zero_();  // channel 1 of group b = columns 4..7
  }
  torch::Tensor before = run(*net);
  net->select("b", {2, 0});  // reordering is allowed too
  EXPECT_EQ(net->fc_->weight.size(1), 8);
  EXPECT_TRUE(torch::allclose(run(*net), before, 1e-5, 1e-6));
}

TEST(GrowableNet, DuplicateIsFunctionPreserving) {
  auto net = make_net();
  torch::Tensor before = run(*net);
  auto added = net->duplicate("a", {0, 0, 2});
  EXPECT_EQ(added, (std::vector<int64_t>{4, 5, 6}));
  net->duplicate("b", {1});
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{7, 4}));
  EXPECT_TRUE(torch::allclose(run(*net), before, 1e-5, 1e-6));
  // Channel 0 now exists three times, each carrying a third of its consumer column.
  auto w = net->conv2_->weight;
  EXPECT_TRUE(torch::allclose(w.select(1, 0), w.select(1, 4)));
  EXPECT_TRUE(torch::allclose(w.select(1, 0) * 3, w.select(1, 5) * 3));
}

TEST(GrowableNet, BadRequestsThrowAndLeaveNetIntact) {
  auto net = make_net();
  EXPECT_THROW(net->select("a", {}), std::invalid_argument);
  EXPECT_THROW(net->select("a", {9}), std::out_of_range);
  EXPECT_THROW(net->duplicate("a", {-1}), std::out_of_range);
  EXPECT_THROW(net->widen("zzz", 1), std::invalid_argument);
  EXPECT_THROW(net->widen("a", 2, [](const TiedTensor&, int64_t) { return torch::zeros({1}); }),
               std::invalid_argument);
  EXPECT_EQ(net->widths(), (std::vector<int64_t>{4, 3}));
}

}  // namespace
}  // namespace gear
