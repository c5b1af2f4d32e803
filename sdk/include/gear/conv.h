#pragma once

/// @file
/// Convolution layers run faster where LibTorch's own CPU kernels are slow, with the same values
/// and gradients.

#include <torch/nn/modules/conv.h>
#include <torch/types.h>

#include "gear/export.h"

namespace gear {

/// `conv.forward(input)`, with two shapes run another way:
/// - a 3x3, padding-1, stride-1 convolution (dilation 1, one group, zero padding) of a
///   one-channel CPU input [N, 1, H, W] (a greyscale stem), contiguous float or double, whose
///   input needs no gradient: GEAR's own kernel, vectorised along image rows, for the forward
///   pass and the weight and bias gradients (oneDNN vectorises across input channels and runs
///   this shape at a few GFLOP/s). Where a channels-last weight or input asks for channels-last
///   output, LibTorch's kernel runs instead.
/// - the same 3x3 layer on a 1x1 plane (any channels, device and type): the 1x1 convolution of
///   the weight's centre taps, since the other eight taps only ever see padding.
///
/// Values equal LibTorch's within float rounding (the sums run in another order); the weight
/// gradient sums images in fixed blocks, so it does not depend on the thread count. Gradients
/// of the taps that only see padding are zero, as with LibTorch. Double backward (create_graph)
/// goes through LibTorch's convolution_backward. Both rules count in GrowableNet::macs as the
/// dense convolution of the whole weight. `conv` and `input` are borrowed for the call; the
/// result owns new storage. Since SDK 0.13.
GEAR_EXPORT torch::Tensor conv2d(torch::nn::Conv2dImpl& conv, const torch::Tensor& input);

/// Turns conv2d's own kernel for one-channel inputs on (the default) or off for the whole process,
/// so that tests and benchmarks can compare it with LibTorch's in one run. Thread-safe.
/// Since SDK 0.13.
GEAR_EXPORT void set_conv_kernels(bool enabled);

/// Whether conv2d uses its own kernel (set_conv_kernels). Since SDK 0.13.
GEAR_EXPORT bool conv_kernels() noexcept;

}  // namespace gear
