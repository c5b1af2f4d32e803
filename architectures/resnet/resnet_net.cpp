#include "resnet_net.h"

#include <gear/batch_norm.h>
#include <gear/conv.h>

#include <memory>
#include <stdexcept>

#include "layers.h"

namespace gear::plugins::architectures {

ResNetLayout resnet18_layout() { return {{2, 2, 2, 2}, {64, 128, 256, 512}}; }

std::vector<std::string> resnet_group_names(const ResNetLayout& layout) {
  std::vector<std::string> names;
  for (size_t s = 0; s < layout.blocks.size(); ++s) {
    const std::string stage = "stage" + std::to_string(s + 1);
    names.push_back(stage);
    for (int64_t b = 0; b < layout.blocks[s]; ++b)
      names.push_back(stage + ".block" + std::to_string(b));
  }
  return names;
}

std::vector<int64_t> resnet_standard_widths(const ResNetLayout& layout) {
  std::vector<int64_t> widths;
  for (size_t s = 0; s < layout.blocks.size(); ++s)
    widths.insert(widths.end(), static_cast<size_t>(layout.blocks[s]) + 1, layout.widths[s]);
  return widths;
}

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t inner, int64_t out, int64_t stride) {
  conv1 = register_module("conv1", conv_no_bias(in, inner, 3, stride));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(inner));
  conv2 = register_module("conv2", conv_no_bias(inner, out, 3, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
  // Only the block that opens a stage (stride 2, new stream) projects its input; the other blocks
  // add the stream itself, whatever the current widths are.
  if (stride != 1) {
    shortcut = register_module("shortcut", conv_no_bias(in, out, 1, 1));
    shortcut_bn = register_module("shortcut_bn", torch::nn::BatchNorm2d(out));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  const torch::Tensor y =
      batch_norm_act(*bn1, conv1->forward(x), NormActivation::kRelu, {}, inner_tap);
  torch::Tensor stream = x;
  if (shortcut) {
    // Subsample at conv1's stride, then a stride-1 1x1 conv: a strided 1x1 conv's values,
    // without LibTorch 1.13's channels-last backward of one (heap corruption).
    const int64_t stride = (*conv1->options.stride())[0];
    const torch::Tensor sampled =
        x.slice(2, 0, c10::nullopt, stride).slice(3, 0, c10::nullopt, stride);
    stream = batch_norm(*shortcut_bn, shortcut->forward(sampled));
  }
  return batch_norm_act(*bn2, conv2->forward(inner_read(y)), NormActivation::kRelu, stream,
                        stream_tap);
}

ResNetImpl::ResNetImpl(const ResNetLayout& layout, const std::vector<int64_t>& widths,
                       int64_t in_channels, int64_t num_classes, int64_t stem_stride) {
  const auto names = resnet_group_names(layout);
  const auto standard = resnet_standard_widths(layout);
  if (widths.size() != names.size())
    throw std::invalid_argument("resnet: one width per channel group expected");

  // Widths by group: stream of stage s at index stream_at[s], then its blocks.
  std::vector<size_t> stream_at;
  for (size_t i = 0, s = 0; s < layout.blocks.size(); ++s) {
    stream_at.push_back(i);
    i += static_cast<size_t>(layout.blocks[s]) + 1;
  }
  stem_ = register_module("stem", conv_no_bias(in_channels, widths[0], 3, stem_stride));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(widths[0]));
  int64_t channels = widths[0];
  for (size_t s = 0; s < layout.blocks.size(); ++s) {
    const int64_t stream = widths[stream_at[s]];
    // A plain parent module per stage, so that parameter paths read "stage2.block0.conv1".
    auto stage = register_module("stage" + std::to_string(s + 1),
                                 std::make_shared<torch::nn::Module>("Stage"));
    for (int64_t b = 0; b < layout.blocks[s]; ++b) {
      const bool opens_stage = b == 0 && s > 0;
      const int64_t inner = widths[stream_at[s] + 1 + static_cast<size_t>(b)];
      BasicBlock block(channels, inner, stream, opens_stage ? 2 : 1);
      blocks_.push_back(stage->register_module("block" + std::to_string(b), block));
      channels = stream;
    }
  }
  classifier_ = register_module("classifier", torch::nn::Linear(channels, num_classes));
  initialise_conv_net(*this);

  size_t block_index = 0;
  for (size_t s = 0; s < layout.blocks.size(); ++s) {
    const std::string stage = "stage" + std::to_string(s + 1);
    if (s == 0) stem_tap_ = tap(stage);
    for (int64_t b = 0; b < layout.blocks[s]; ++b) {
      BasicBlock& block = blocks_[block_index + static_cast<size_t>(b)];
      block->stream_tap = tap(stage);
      block->inner_tap = tap(stage + ".block" + std::to_string(b));
      block->inner_read = consumer_tap(stage + ".block" + std::to_string(b));
    }
    ChannelGroup& stream = add_group(stage, standard[stream_at[s]]);
    if (s == 0) {
      tie(stream, TieKind::kProducer, "stem", stem_.ptr());
      tie(stream, TieKind::kNorm, "stem_bn", stem_bn_.ptr());
    }
    for (int64_t b = 0; b < layout.blocks[s]; ++b) {
      const BasicBlock& block = blocks_[block_index + static_cast<size_t>(b)];
      const std::string path = stage + ".block" + std::to_string(b);
      if (block->shortcut) {
        tie(stream, TieKind::kProducer, path + ".shortcut", block->shortcut.ptr());
        tie(stream, TieKind::kNorm, path + ".shortcut_bn", block->shortcut_bn.ptr());
      }
      tie(stream, TieKind::kProducer, path + ".conv2", block->conv2.ptr());
      tie(stream, TieKind::kNorm, path + ".bn2", block->bn2.ptr());
      if (b > 0) tie(stream, TieKind::kConsumer, path + ".conv1", block->conv1.ptr());
    }
    // The stream's consumers past the stage: the next stage's opening block, or the classifier.
    const size_t next = block_index + static_cast<size_t>(layout.blocks[s]);
    if (next < blocks_.size()) {
      const std::string path = "stage" + std::to_string(s + 2) + ".block0";
      tie(stream, TieKind::kConsumer, path + ".conv1", blocks_[next]->conv1.ptr());
      tie(stream, TieKind::kConsumer, path + ".shortcut", blocks_[next]->shortcut.ptr());
    } else {
      tie(stream, TieKind::kConsumer, "classifier", classifier_.ptr());
    }
    // Stage 1's first block reads the stem's output, which is the stage-1 stream.
    if (s == 0) tie(stream, TieKind::kConsumer, stage + ".block0.conv1", blocks_[0]->conv1.ptr());

    for (int64_t b = 0; b < layout.blocks[s]; ++b) {
      const BasicBlock& block = blocks_[block_index + static_cast<size_t>(b)];
      const std::string path = stage + ".block" + std::to_string(b);
      ChannelGroup& inner = add_group(path, standard[stream_at[s] + 1 + static_cast<size_t>(b)]);
      tie(inner, TieKind::kProducer, path + ".conv1", block->conv1.ptr());
      tie(inner, TieKind::kNorm, path + ".bn1", block->bn1.ptr());
      tie(inner, TieKind::kConsumer, path + ".conv2", block->conv2.ptr());
    }
    block_index = next;
  }
  check_groups();
}

torch::Tensor ResNetImpl::forward(torch::Tensor input) {
  torch::Tensor x =
      batch_norm_act(*stem_bn_, gear::conv2d(*stem_, input), NormActivation::kRelu, {}, stem_tap_);
  for (auto& block : blocks_) x = block->forward(x);
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
  return classifier_->forward(x);
}

}  // namespace gear::plugins::architectures
