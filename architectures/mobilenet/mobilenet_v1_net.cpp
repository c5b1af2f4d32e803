#include <gear/batch_norm.h>
#include <gear/conv.h>

#include <string>

#include "layers.h"
#include "mobilenet_net.h"

namespace gear::plugins::architectures {

SeparableBlockImpl::SeparableBlockImpl(int64_t in, int64_t out, int64_t stride) {
  depthwise = register_module("depthwise", conv_no_bias(in, in, 3, stride, in));
  depthwise_bn = register_module("depthwise_bn", torch::nn::BatchNorm2d(in));
  pointwise = register_module("pointwise", conv_no_bias(in, out, 1, 1));
  pointwise_bn = register_module("pointwise_bn", torch::nn::BatchNorm2d(out));
}

torch::Tensor SeparableBlockImpl::forward(const torch::Tensor& x) {
  const torch::Tensor y =
      batch_norm_act(*depthwise_bn, depthwise->forward(x), NormActivation::kRelu);
  return batch_norm_act(*pointwise_bn, pointwise->forward(input_read(y)), NormActivation::kRelu, {},
                        output_tap);
}

MobileNetV1Impl::MobileNetV1Impl(const MobileNetV1Layout& layout,
                                 const std::vector<int64_t>& widths, int64_t in_channels,
                                 int64_t num_classes, int64_t stem_stride) {
  stem_ = register_module("stem", conv_no_bias(in_channels, widths[0], 3, stem_stride));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(widths[0]));
  for (size_t i = 0; i < layout.blocks.size(); ++i) {
    const SeparableBlockSpec& b = layout.blocks[i];
    blocks_.push_back(register_module(layout.groups[b.output].name,
                                      SeparableBlock(widths[b.input], widths[b.output], b.stride)));
    blocks_.back()->output_tap = tap(layout.groups[b.output].name);
    blocks_.back()->input_read = consumer_tap(layout.groups[b.input].name);
  }
  stem_tap_ = tap(layout.groups[0].name);
  last_read_ = consumer_tap(layout.groups.back().name);
  classifier_ = register_module("classifier",
                                torch::nn::Linear(widths[layout.groups.size() - 1], num_classes));
  initialise_conv_net(*this);

  for (size_t g = 0; g < layout.groups.size(); ++g) {
    const GroupSpec& spec = layout.groups[g];
    ChannelGroup& group = add_group(spec.name, spec.width, spec.set);
    if (g == 0) {
      tie(group, TieKind::kProducer, "stem", stem_.ptr());
      tie(group, TieKind::kNorm, "stem_bn", stem_bn_.ptr());
    } else {
      const SeparableBlock& own = blocks_[g - 1];
      tie(group, TieKind::kProducer, spec.name + ".pointwise", own->pointwise.ptr());
      tie(group, TieKind::kNorm, spec.name + ".pointwise_bn", own->pointwise_bn.ptr());
    }
    if (g < blocks_.size()) {
      // The next block's depthwise conv filters each channel of this group on its own.
      const SeparableBlock& next = blocks_[g];
      const std::string& path = layout.groups[g + 1].name;
      tie(group, TieKind::kPassThrough, path + ".depthwise", next->depthwise.ptr());
      tie(group, TieKind::kNorm, path + ".depthwise_bn", next->depthwise_bn.ptr());
      tie(group, TieKind::kConsumer, path + ".pointwise", next->pointwise.ptr());
    } else {
      tie(group, TieKind::kConsumer, "classifier", classifier_.ptr());
    }
  }
  check_groups();
}

torch::Tensor MobileNetV1Impl::forward(torch::Tensor input) {
  torch::Tensor x =
      batch_norm_act(*stem_bn_, gear::conv2d(*stem_, input), NormActivation::kRelu, {}, stem_tap_);
  for (auto& block : blocks_) x = block->forward(x);
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return classifier_->forward(last_read_(x));
}

}  // namespace gear::plugins::architectures
