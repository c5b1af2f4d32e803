#pragma once

/// @file
/// One training step's forward and backward as parallel shares of the batch (gear/batch_split.h).

#include <torch/types.h>

#include <string>

#include "gear/device_profile.h"
#include "gear/growable_net.h"
#include "gear/host/data_stream.h"
#include "gear/host/trainer.h"
#include "gear/host/worker_pool.h"

namespace gear::host {

/// Whether `net` may be trained with batch splitting: it derives from gear::BatchSplittable.
bool batch_splittable(const GrowableNet& net);

/// Worker count for `mode` ("auto", "batch_split", "intra_op"): `threads` when batch splitting
/// applies (CPU, 2+ threads, a batch_splittable net), else 0. An explicit "batch_split" that
/// cannot apply sets `refusal` to the reason (it never falls back silently).
int batch_split_workers(const std::string& mode, const torch::Device& device, int threads,
                        bool splittable, std::string* refusal);

/// Splits `batch` into pool.workers() contiguous shares (fewer when the batch is smaller), runs
/// `objective` and its gradient for each share on its worker, weighted by share / batch size
/// (figures too), and
/// writes the sum of the workers' gradients (added in rank order, so a run is repeatable) into
/// each parameter's grad, replacing it; parameters no share reached keep theirs. `net` must be
/// batch_splittable and in training mode. The gradients are of the loss times `gradient_scale`
/// (a rank's share of the global batch, times fp16's loss scale); the result's loss and figures
/// are not scaled. With kBf16 or kFp16 each worker runs its forward pass under autocast. All
/// arguments are borrowed for the call.
StepResult split_step(GrowableNet& net, const Batch& batch, Objective& objective, WorkerPool& pool,
                      double gradient_scale = 1.0, Precision precision = Precision::kFp32);

}  // namespace gear::host
