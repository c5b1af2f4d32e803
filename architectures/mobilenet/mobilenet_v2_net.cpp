#include <gear/batch_norm.h>
#include <gear/conv.h>

#include <string>

#include "layers.h"
#include "mobilenet_net.h"

namespace gear::plugins::architectures {

InvertedResidualImpl::InvertedResidualImpl(int64_t in, int64_t expanded, int64_t out,
                                           int64_t stride, bool residual)
    : residual(residual) {
  int64_t hidden = in;
  if (expanded > 0) {
    expand = register_module("expand", conv_no_bias(in, expanded, 1, 1));
    expand_bn = register_module("expand_bn", torch::nn::BatchNorm2d(expanded));
    hidden = expanded;
  }
  depthwise = register_module("depthwise", conv_no_bias(hidden, hidden, 3, stride, hidden));
  depthwise_bn = register_module("depthwise_bn", torch::nn::BatchNorm2d(hidden));
  project = register_module("project", conv_no_bias(hidden, out, 1, 1));
  project_bn = register_module("project_bn", torch::nn::BatchNorm2d(out));
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = x;
  if (expand)
    y = batch_norm_act(*expand_bn, expand->forward(y), NormActivation::kRelu6, {}, expand_tap);
  y = batch_norm_act(*depthwise_bn, depthwise->forward(y), NormActivation::kRelu6);
  if (expand) y = expand_read(y);
  return batch_norm_act(*project_bn, project->forward(y), NormActivation::kIdentity,
                        residual ? x : torch::Tensor(), output_tap);
}

MobileNetV2Impl::MobileNetV2Impl(const MobileNetV2Layout& layout,
                                 const std::vector<int64_t>& widths, int64_t in_channels,
                                 int64_t num_classes, int64_t stem_stride) {
  stem_ = register_module("stem", conv_no_bias(in_channels, widths[0], 3, stem_stride));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(widths[0]));
  for (size_t i = 0; i < layout.blocks.size(); ++i) {
    const InvertedBlockSpec& b = layout.blocks[i];
    const int64_t expanded = b.expand >= 0 ? widths[static_cast<size_t>(b.expand)] : 0;
    blocks_.push_back(register_module(
        "block" + std::to_string(i),
        InvertedResidual(widths[b.input], expanded, widths[b.output], b.stride, b.residual)));
    if (b.expand >= 0) {
      const std::string& expansion = layout.groups[static_cast<size_t>(b.expand)].name;
      blocks_.back()->expand_tap = tap(expansion);
      blocks_.back()->expand_read = consumer_tap(expansion);
    }
    blocks_.back()->output_tap = tap(layout.groups[b.output].name);
  }
  stem_tap_ = tap(layout.groups[0].name);
  head_tap_ = tap(layout.groups[layout.head].name);
  head_read_ = consumer_tap(layout.groups[layout.head].name);
  const int64_t last = widths[layout.blocks.back().output];
  head_ = register_module("head", conv_no_bias(last, widths[layout.head], 1, 1));
  head_bn_ = register_module("head_bn", torch::nn::BatchNorm2d(widths[layout.head]));
  classifier_ = register_module("classifier", torch::nn::Linear(widths[layout.head], num_classes));
  initialise_conv_net(*this);

  // Declare the groups in layout order; members are found by walking the blocks.
  for (size_t g = 0; g < layout.groups.size(); ++g) {
    const GroupSpec& spec = layout.groups[g];
    ChannelGroup& group = add_group(spec.name, spec.width, spec.set);
    if (g == 0) {
      tie(group, TieKind::kProducer, "stem", stem_.ptr());
      tie(group, TieKind::kNorm, "stem_bn", stem_bn_.ptr());
    }
    if (g == layout.head) {
      tie(group, TieKind::kProducer, "head", head_.ptr());
      tie(group, TieKind::kNorm, "head_bn", head_bn_.ptr());
      tie(group, TieKind::kConsumer, "classifier", classifier_.ptr());
    }
    for (size_t i = 0; i < blocks_.size(); ++i) {
      const InvertedBlockSpec& b = layout.blocks[i];
      const InvertedResidual& block = blocks_[i];
      const std::string path = "block" + std::to_string(i);
      if (b.input == g) {
        // The block reads this group: through its expand conv, or, without one, its depthwise
        // conv follows the group channel by channel into the project conv.
        if (block->expand) {
          tie(group, TieKind::kConsumer, path + ".expand", block->expand.ptr());
        } else {
          tie(group, TieKind::kPassThrough, path + ".depthwise", block->depthwise.ptr());
          tie(group, TieKind::kNorm, path + ".depthwise_bn", block->depthwise_bn.ptr());
          tie(group, TieKind::kConsumer, path + ".project", block->project.ptr());
        }
      }
      if (b.expand == static_cast<int64_t>(g)) {
        tie(group, TieKind::kProducer, path + ".expand", block->expand.ptr());
        tie(group, TieKind::kNorm, path + ".expand_bn", block->expand_bn.ptr());
        tie(group, TieKind::kPassThrough, path + ".depthwise", block->depthwise.ptr());
        tie(group, TieKind::kNorm, path + ".depthwise_bn", block->depthwise_bn.ptr());
        tie(group, TieKind::kConsumer, path + ".project", block->project.ptr());
      }
      if (b.output == g) {
        tie(group, TieKind::kProducer, path + ".project", block->project.ptr());
        tie(group, TieKind::kNorm, path + ".project_bn", block->project_bn.ptr());
        if (i + 1 == blocks_.size()) tie(group, TieKind::kConsumer, "head", head_.ptr());
      }
    }
  }
  check_groups();
}

torch::Tensor MobileNetV2Impl::forward(torch::Tensor input) {
  torch::Tensor x =
      batch_norm_act(*stem_bn_, gear::conv2d(*stem_, input), NormActivation::kRelu6, {}, stem_tap_);
  for (auto& block : blocks_) x = block->forward(x);
  x = batch_norm_act(*head_bn_, head_->forward(x), NormActivation::kRelu6, {}, head_tap_);
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return classifier_->forward(head_read_(x));
}

}  // namespace gear::plugins::architectures
