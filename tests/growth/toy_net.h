#pragma once

// Small nets and a scripted GrowthContext for the growth-strategy tests.

#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <utility>
#include <vector>

#include "gear/architecture.h"
#include "gear/growth_strategy.h"
#include "gear/host/device.h"
#include "gear/host/growth_stage.h"
#include "test_support.h"

namespace gear::test {

namespace nn = torch::nn;

// Every kind of tie: conv1 (2->4) bn relu | depthwise 3x3 (pass-through) bn relu | conv2 1x1
// (4->3, bias) bn relu | avgpool 2x2, flatten | linear (12->5).
// Group "a": conv1 rows, bn1, the depthwise conv and its bn, conv2 columns.
// Group "b": conv2 rows and bias, bn2, fc columns in blocks of 4 (2x2 map per channel).
class ToyNet : public GrowableNet {
 public:
  explicit ToyNet(const std::string& set_b = "default") {
    conv1_ =
        register_module("conv1", nn::Conv2d(nn::Conv2dOptions(2, 4, 3).padding(1).bias(false)));
    bn1_ = register_module("bn1", nn::BatchNorm2d(4));
    dw_ = register_module("dw", nn::Conv2d(nn::Conv2dOptions(4, 4, 3).padding(1).groups(4)));
    bn_dw_ = register_module("bn_dw", nn::BatchNorm2d(4));
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(4, 3, 1)));
    bn2_ = register_module("bn2", nn::BatchNorm2d(3));
    fc_ = register_module("fc", nn::Linear(12, 5));
    auto& a = add_group("a", 16);
    tie(a, TieKind::kProducer, "conv1", conv1_.ptr());
    tie(a, TieKind::kNorm, "bn1", bn1_.ptr());
    tie(a, TieKind::kPassThrough, "dw", dw_.ptr());
    tie(a, TieKind::kNorm, "bn_dw", bn_dw_.ptr());
    tie(a, TieKind::kConsumer, "conv2", conv2_.ptr());
    auto& b = add_group("b", 12, set_b);
    tie(b, TieKind::kProducer, "conv2", conv2_.ptr());
    tie(b, TieKind::kNorm, "bn2", bn2_.ptr());
    tie(b, TieKind::kConsumer, "fc", fc_.ptr(), 4);
    check_groups();
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::relu(bn1_(conv1_(x)));
    x = torch::relu(bn_dw_(dw_(x)));
    x = torch::relu(bn2_(conv2_(x)));
    x = nn::functional::adaptive_avg_pool2d(x, nn::functional::AdaptiveAvgPool2dFuncOptions(2));
    return fc_(x.flatten(1));
  }
  nn::Conv2d conv1_{nullptr}, dw_{nullptr}, conv2_{nullptr};
  nn::BatchNorm2d bn1_{nullptr}, bn_dw_{nullptr}, bn2_{nullptr};
  nn::Linear fc_{nullptr};
};

/// A ToyNet with non-trivial BatchNorm statistics and scales, in eval mode.
inline std::shared_ptr<ToyNet> make_toy(uint64_t seed = 0, const std::string& set_b = "default") {
  torch::manual_seed(seed);
  auto net = std::make_shared<ToyNet>(set_b);
  net->train();
  torch::NoGradGuard no_grad;
  for (int i = 0; i < 5; ++i) net->forward(torch::randn({8, 2, 6, 6}) * 2 + 0.5);
  for (auto* bn : {net->bn1_.get(), net->bn_dw_.get(), net->bn2_.get()}) {
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.2, 0.5);
  }
  net->eval();
  return net;
}

/// Random batches [n, 2, 6, 6] with labels in [0, 5).
inline std::vector<std::pair<torch::Tensor, torch::Tensor>> toy_batches(int count, int64_t size,
                                                                        uint64_t seed = 3) {
  auto gen = host::make_generator(torch::kCPU, seed);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> out;
  for (int i = 0; i < count; ++i)
    out.emplace_back(torch::randn({size, 2, 6, 6}, gen),
                     torch::randint(5, {size}, gen, torch::kLong));
  return out;
}

/// A GrowthContext over fixed batches with a params/bytes budget.
class ScriptedContext final : public GrowthContext {
 public:
  ScriptedContext(std::vector<std::pair<torch::Tensor, torch::Tensor>> batches, uint64_t seed,
                  Budget budget = {})
      : batches_(std::move(batches)),
        generator_(host::make_generator(torch::kCPU, seed)),
        budget_(budget) {}
  torch::Device device() const override { return torch::kCPU; }
  void for_each_batch(const BatchStep& step, int64_t max_batches) override {
    ++passes;
    int64_t seen = 0;
    for (const auto& [x, y] : batches_) {
      if (max_batches > 0 && seen++ >= max_batches) break;
      step(x, y);
    }
  }
  torch::Generator& generator() override { return generator_; }
  const Budget& budget() const override { return budget_; }
  std::string exceeds_budget(GrowableNet& net) override {
    ++budget_checks;
    if (budget_.params && net.params() > *budget_.params) return "params";
    if (budget_.bytes && host::model_bytes(net) > *budget_.bytes) return "bytes";
    return {};
  }
  int passes = 0, budget_checks = 0;

 private:
  std::vector<std::pair<torch::Tensor, torch::Tensor>> batches_;
  torch::Generator generator_;
  Budget budget_;
};

/// VGG-11 from the real plugin for 28x28 grey images, BatchNorm statistics settled, eval mode.
inline std::shared_ptr<GrowableNet> build_vgg(double width, uint64_t seed = 0) {
  torch::manual_seed(seed);
  auto net = build_net("vgg11", {1, 28, 28}, width);
  settle(*net, torch::randn({8, 1, 28, 28}));
  return net;
}

inline torch::Tensor outputs(GrowableNet& net, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return net.forward(x);
}

}  // namespace gear::test
