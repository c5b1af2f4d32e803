#pragma once

/// @file
/// The CPU kernel behind apply_augmix_ops: one pass per image, parallel over images, for the
/// affine and lookup-table families (the enhance ops stay on the tensor path).

#include <torch/types.h>

namespace gear::ops {

/// Applies op `ops[i]` (int64 AugOp id; negative: leave the image as it is) with magnitude
/// `magnitudes[i]` (float64) to each image of contiguous CPU uint8 `images` [N, C, H, W]. Ops of
/// the enhance family are left untouched too; the caller applies them. Returns a new tensor.
torch::Tensor apply_geometric_and_lut_ops_cpu(const torch::Tensor& images, const torch::Tensor& ops,
                                              const torch::Tensor& magnitudes);

}  // namespace gear::ops
