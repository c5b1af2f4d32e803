#pragma once

/// @file
/// Batch normalisation that stays exact when the host splits a training batch across workers or
/// ranks.

#include <torch/nn/modules/batchnorm.h>
#include <torch/types.h>

#include "gear/export.h"

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

}  // namespace gear
