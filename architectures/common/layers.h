#pragma once

/// @file
/// Layer construction and initialisation shared by the ResNet and MobileNet plugins.

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include <cstdint>

namespace gear::plugins::architectures {

/// A bias-free k x k Conv2d with "same" padding (k / 2); `groups` = channels makes it depthwise.
torch::nn::Conv2d conv_no_bias(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                               int64_t groups = 1);

/// The initialisation of torchvision's ResNet and MobileNet: Kaiming-normal (fan-out, ReLU) for
/// every Conv2d, N(0, 0.01) weights and zero bias for every Linear; BatchNorm keeps (1, 0).
/// `net` is borrowed for the call.
void initialise_conv_net(torch::nn::Module& net);

}  // namespace gear::plugins::architectures
