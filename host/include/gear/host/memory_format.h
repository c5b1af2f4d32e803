#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>

namespace gear::host {

/// Whether a run keeps activations and convolution weights channels-last (NHWC) for `mode`
/// ("auto", "channels_last", "contiguous") on `device`. "auto" is contiguous: on the CPU,
/// channels-last trains VGG and ResNet within 10% either way of contiguous and MobileNet-V2
/// slower (bench/results/conv_ceiling.json); on CUDA it has not been measured.
bool use_channels_last(const std::string& mode, const torch::Device& device);

/// Why `net` must not train channels-last with this LibTorch, or "" when it may.
std::string channels_last_hazard(torch::nn::Module& net);

/// Rewrites every 4-D parameter and buffer of `net` in place (same tensors, new strides) as
/// channels-last or contiguous. Values, optimizers' references and tied-tensor aliases stay
/// valid; called after the net is built and after every surgery, which makes new tensors.
void apply_memory_format(torch::nn::Module& net, bool channels_last);

}  // namespace gear::host
