#pragma once

/// @file
/// Batch normalisation that stays exact when the host splits a training batch across workers.

#include <torch/nn/modules/batchnorm.h>
#include <torch/types.h>

#include "gear/export.h"

namespace gear {

/// `norm->forward(input)`, except inside a batch split (gear/batch_split.h) in training mode:
/// there the per-channel mean and variance are those of the whole batch (every worker's share,
/// combined with Chan's parallel formula in rank order), the running statistics are updated once
/// per batch (by worker 0) exactly as torch::nn::BatchNorm2d would, and backward exchanges the two
/// per-channel sums it needs, so input and parameter gradients are the full batch's. The split
/// path takes float or double CPU tensors [N, C, H, W] and runs on the calling thread only;
/// double backward through it is refused. `norm` and `input` are borrowed; the result owns new
/// storage.
GEAR_EXPORT torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl& norm, const torch::Tensor& input);

}  // namespace gear
