#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "gear/growable_net.h"

namespace gear::host {

/// Peak memory of training `net` at `batch_size` on `device`: the most bytes allocated at once
/// during one step (forward, cross-entropy, backward) on inputs of `sample_shape` [C, H, W],
/// counting the net's own parameters and buffers, plus the optimizer state (one momentum buffer
/// per parameter). On CUDA it reads the caching allocator's peak statistics; on CPU it counts
/// every allocation of the CPU allocator while the step runs. The net comes back as it was:
/// same weights, BatchNorm statistics, gradients, training/eval mode and device RNG state.
int64_t measure_train_memory(GrowableNet& net, const std::vector<int64_t>& sample_shape,
                             int64_t batch_size, torch::Device device);

}  // namespace gear::host
