#pragma once

/// @file
/// Split models: a net cut at a named layer (a channel group's tap), the head on the edge and the
/// tail in the cloud, with an optional learned bottleneck between them (a 1x1 conv encoder to k
/// channels, quantized to b bits, and a 1x1 conv decoder) that is trained end to end with a rate
/// penalty.

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gear/growable_net.h"

namespace gear::host {

/// Throws std::invalid_argument unless `layer` of `net` is a cut: a channel group the forward
/// pass goes through exactly once and that carries everything the output depends on (no
/// residual connection around it). Checked by running `net` (borrowed; left in eval mode) on
/// two random inputs of `sample_shape` [C, H, W]: the output with the first input's activation
/// substituted must not depend on the second input. Unknown layers get a did-you-mean.
void check_cut(GrowableNet& net, const std::string& layer,
               const std::vector<int64_t>& sample_shape);

/// The head: the activation at `layer` for the normalised batch `input` (what the edge sends
/// without a bottleneck). Runs in the net's current mode without gradients.
torch::Tensor split_head(GrowableNet& net, const std::string& layer, const torch::Tensor& input);

/// The tail: the logits when the activation at `layer` is `received` (same shape as the head's
/// output). The layers before the cut run on zeros of `input_shape` [N, C, H, W] and are
/// discarded, so this equals the cloud running from the cut.
torch::Tensor split_tail(GrowableNet& net, const std::string& layer, const torch::Tensor& received,
                         const std::vector<int64_t>& input_shape);

/// The bottleneck a split model sends through: encode to `channels` with a 1x1 conv, squash to
/// (0, 1), quantize to 2^bits levels (a straight-through gradient in training), decode back to
/// the layer's width with a 1x1 conv.
class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t layer_channels, int64_t channels, int64_t bits);
  /// The decoded activation for `activation` [N, layer_channels, H, W]; keeps the squashed code
  /// of the last call for rate().
  torch::Tensor forward(const torch::Tensor& activation);
  /// The quantized symbols (uint8 [N, channels, H, W], values in [0, 2^bits)) for `activation`.
  torch::Tensor symbols(const torch::Tensor& activation);
  /// The rate penalty of the last forward(): the mean squashed code, so that small symbols (which
  /// compress well) are cheap.
  torch::Tensor rate() const { return last_code_.mean(); }
  int64_t bits() const { return bits_; }

 private:
  torch::Tensor code(const torch::Tensor& activation);
  torch::nn::Conv2d encoder_{nullptr}, decoder_{nullptr};
  int64_t bits_;
  torch::Tensor last_code_;
};
TORCH_MODULE(Bottleneck);

/// Bytes one frame's `symbols` (uint8 [channels, H, W] of a bottleneck with `bits` bits) take
/// when sent: packed to `bits` bits each, then deflated when that is smaller, plus a 4-byte
/// header.
int64_t symbol_bytes(const torch::Tensor& symbols, int64_t bits);

}  // namespace gear::host
