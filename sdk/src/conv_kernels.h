#pragma once

// gear::conv2d's own CPU kernels (conv_kernels.inc), each run in the widest instruction set this
// CPU has. Tensors are borrowed for the call; results own new storage.

#include <torch/types.h>

namespace gear::detail {

/// The 3x3 convolution with padding 1 and stride 1 of `input` [N, 1, H, W] with `weight`
/// [O, 1, 3, 3], plus `bias` [O] where defined: [N, O, H, W]. All contiguous CPU tensors of one
/// floating type (float or double).
torch::Tensor one_channel_conv(const torch::Tensor& input, const torch::Tensor& weight,
                               const torch::Tensor& bias);

/// The gradient of one_channel_conv's result with respect to its weight, [O, 1, 3, 3], given the
/// gradient `grad_output` [N, O, H, W] (contiguous, of the input's type). It sums images in
/// fixed blocks, so the result does not depend on the number of threads.
torch::Tensor one_channel_conv_weight_grad(const torch::Tensor& input,
                                           const torch::Tensor& grad_output);

}  // namespace gear::detail
