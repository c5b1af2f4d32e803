#include "vgg_net.h"

#include <gear/batch_norm.h>
#include <gear/conv.h>
#include <torch/nn/init.h>

#include <string>

#include "max_pool.h"

namespace gear::plugins::architectures {

VggImpl::VggImpl(const VggLayout& layout, const std::vector<int64_t>& widths, int64_t in_channels,
                 int64_t num_classes)
    : pool_after_(layout.pool_after) {
  const size_t n = widths.size();
  int64_t channels = in_channels;
  for (size_t i = 0; i < n; ++i) {
    const std::string index = std::to_string(i);
    convs_.push_back(register_module(
        "conv" + index,
        torch::nn::Conv2d(
            torch::nn::Conv2dOptions(channels, widths[i], 3).padding(1).bias(false))));
    norms_.push_back(register_module("bn" + index, torch::nn::BatchNorm2d(widths[i])));
    taps_.push_back(tap("conv" + index));
    consumed_.push_back(consumer_tap("conv" + index));
    channels = widths[i];
  }
  classifier_ = register_module(
      "classifier", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, num_classes, 1)));
  initialise();

  for (size_t i = 0; i < n; ++i) {
    const std::string index = std::to_string(i);
    ChannelGroup& group = add_group("conv" + index, layout.widths[i]);
    tie(group, TieKind::kProducer, "conv" + index, convs_[i].ptr());
    tie(group, TieKind::kNorm, "bn" + index, norms_[i].ptr());
    if (i + 1 < n) {
      tie(group, TieKind::kConsumer, "conv" + std::to_string(i + 1), convs_[i + 1].ptr());
    } else {
      tie(group, TieKind::kConsumer, "classifier", classifier_.ptr());
    }
  }
  check_groups();
}

void VggImpl::initialise() {
  torch::NoGradGuard no_grad;
  for (auto& conv : convs_)
    torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
  // The 1x1 classifier plays the role of VGG's final Linear layer, so it gets that layer's
  // initialisation; Kaiming fan-out over 10 outputs would start with very large logits.
  torch::nn::init::normal_(classifier_->weight, 0.0, 0.01);
  torch::nn::init::zeros_(classifier_->bias);
  // BatchNorm2d already starts at weight 1, bias 0.
}

torch::Tensor VggImpl::forward(torch::Tensor input) {
  torch::Tensor x = input;
  for (size_t i = 0; i < convs_.size(); ++i) {
    if (i > 0) x = consumed_[i - 1](x);
    x = batch_norm_act(*norms_[i], gear::conv2d(*convs_[i], x), NormActivation::kRelu, {},
                       taps_[i]);
    if (!pool_after_[i]) continue;
    // Small inputs (28x28 -> 14, 7, 3, 1) run out of resolution before the last pool: a pool
    // along a dimension of size 1 would fail, so that dimension is left alone.
    const int64_t kh = x.size(2) > 1 ? 2 : 1;
    const int64_t kw = x.size(3) > 1 ? 2 : 1;
    if (kh == 2 && kw == 2) {
      x = max_pool_2x2(x);
    } else if (kh > 1 || kw > 1) {
      x = torch::max_pool2d(x, {kh, kw}, {kh, kw});
    }
  }
  x = consumed_.back()(torch::adaptive_avg_pool2d(x, {1, 1}));
  return classifier_->forward(x).flatten(1);
}

}  // namespace gear::plugins::architectures
