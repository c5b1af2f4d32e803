#pragma once

/// @file
/// Batch normalisation that stays exact when the host splits a training batch across workers or
/// ranks.

#include <torch/nn/modules/batchnorm.h>
#include <torch/types.h>

#include "gear/export.h"
#include "gear/growable_net.h"

namespace gear {

/// `norm->forward(input)`, except in training mode inside a batch split (gear/batch_split.h) or
/// a data-parallel run (gear/ranks.h): there the per-channel mean and variance are those of the
/// whole batch (every worker's share, then every rank's, combined with Chan's parallel formula
/// in order), the running statistics are updated once per batch (by worker 0 of every rank, with
/// the same values) exactly as torch::nn::BatchNorm2d would, and backward exchanges the two
/// per-channel sums it needs, so input and parameter gradients are the full batch's (the host
/// adds the workers' and the ranks' parameter gradients). This path takes CPU tensors
/// [N, C, H, W] of float or double, or of bfloat16 or half under mixed precision (computed in
/// float32, the output cast back), and runs on the calling thread only; double backward through
/// it is refused. `norm` and `input` are borrowed; the result owns new storage.
GEAR_EXPORT torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl& norm, const torch::Tensor& input);

/// The nonlinearity batch_norm_act applies after the norm. Since SDK 0.12.
enum class NormActivation {
  kIdentity,  ///< none
  kRelu,      ///< max(x, 0)
  kRelu6,     ///< min(max(x, 0), 6), MobileNet's ReLU6
};

/// `activation(tap(batch_norm(norm, input) + residual))`: a convolution's norm, its block's
/// residual stream (optional) and the nonlinearity in one call, so that in training mode on the
/// CPU (float or double, or bfloat16 / half computed in float32, either memory layout) the norm's
/// statistics (two passes), then the normalisation, the addition and the activation (one) are
/// three passes over the data forward and two backward, with no saved copy, inside a batch
/// split, under data parallelism and in a plain single-process step alike. The output keeps the
/// input's memory layout. Values and gradients equal the separate ops' within float rounding; the
/// activation's gradient is taken from its output (ReLU passes where y > 0, ReLU6 where
/// 0 < y < 6), which differs from torch's only where the pre-activation is exactly 0 or 6.
/// In evaluation mode (running statistics) on a float or double CPU input, where the norm's
/// parameters need no gradient (grad mode off, or they do not require one), the norm is an affine
/// map per channel and the whole call is one pass over the data (since SDK 0.13.1): its output
/// records no autograd node where neither the input nor the residual requires a gradient, and one
/// node whose backward is one pass (the activation's mask times the norm's scale) where they do
/// (since SDK 0.14: a pass through a frozen net, as candidate training and scoring run).
/// Elsewhere (a norm parameter asking for a gradient, another device, a 2-D input) and while
/// anyone observes `tap` (GrowableNet::observe), it runs the separate ops, so the tap sees the
/// pre-activation as before. `norm`, `input`, `residual` (undefined: none; else `input`'s shape)
/// and `tap` are borrowed for the call; the result owns new storage. Since SDK 0.12.
GEAR_EXPORT torch::Tensor batch_norm_act(torch::nn::BatchNorm2dImpl& norm,
                                         const torch::Tensor& input, NormActivation activation,
                                         const torch::Tensor& residual = {},
                                         const GroupTap& tap = {});

/// Turns batch_norm_act's fused pass on (the default) or off for the whole process, so that tests
/// and benchmarks can compare it with the separate ops in one run; off, batch_norm_act computes
/// `activation(tap(batch_norm(norm, input) + residual))` op by op. Thread-safe. Since SDK 0.12.
GEAR_EXPORT void set_norm_fusion(bool enabled);

/// Whether batch_norm_act fuses (set_norm_fusion). Since SDK 0.12.
GEAR_EXPORT bool norm_fusion() noexcept;

}  // namespace gear
