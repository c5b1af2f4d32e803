#pragma once

/// @file
/// The CPU kernel behind apply_augmix_ops: one pass per image, parallel over images, for the
/// affine and lookup-table families (the enhance ops stay on the tensor path).

#include <torch/types.h>

namespace gear::plugins::augmentations::ops {

/// Applies op `ops[i]` (int64 AugOp id; negative: leave the image as it is) with magnitude
/// `magnitudes[i]` (float64) to each image of contiguous CPU uint8 `images` [N, C, H, W]. Ops of
/// the enhance family are left untouched too; the caller applies them. Returns a new tensor.
torch::Tensor apply_geometric_and_lut_ops_cpu(const torch::Tensor& images, const torch::Tensor& ops,
                                              const torch::Tensor& magnitudes);

/// Runs whole AugMix chains on contiguous CPU uint8 `chains` [M, C, H, W]: chain m applies
/// `depth[m]` ops, op s being `ops[s][m]` at level `levels[s][m]` with sign flip `negate[s][m]`
/// (see augmix_magnitudes; `image_size` is the reference's IMAGE_SIZE). One fused pass per chain,
/// parallel over chains, no intermediate tensors. Only the affine and lookup-table ops: throws
/// std::invalid_argument on an enhance op. Returns a new tensor.
torch::Tensor run_augmix_chains_cpu(const torch::Tensor& chains, const torch::Tensor& depth,
                                    const torch::Tensor& ops, const torch::Tensor& levels,
                                    const torch::Tensor& negate, int64_t image_size);

}  // namespace gear::plugins::augmentations::ops
