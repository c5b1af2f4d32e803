#pragma once

/// @file
/// 2x2 max pooling with stride 2, the pooling of VGG, as a CPU kernel that keeps a one-byte
/// argmax per output.

#include <torch/types.h>

namespace gear::plugins::architectures {

/// torch::max_pool2d(input, 2, 2) for a 4-D N x C x H x W tensor (floor mode: an odd last row or
/// column is dropped), with identical values and gradients: the first maximum of each window in
/// row-major order wins, NaN propagates. On contiguous float or double CPU tensors it runs its own
/// branch-free, vectorised kernel: forward + backward over VGG-11 x0.25's pools take 3.4x less
/// time than LibTorch 1.13's scalar NCHW max-pool with its 8-byte index per output
/// (bench/results/max_pool.json). Elsewhere (CUDA, channels-last, other types, sides below 2) it
/// calls torch::max_pool2d. Double backward (create_graph) is exact too.
/// `input` is borrowed; the result owns new storage.
torch::Tensor max_pool_2x2(const torch::Tensor& input);

}  // namespace gear::plugins::architectures
