#pragma once

// Initial values for channels appended without candidate training (random growth): Firefly's
// fresh-neuron scales, inert biases, identity BatchNorm and depthwise filters.

#include <torch/types.h>

#include "gear/growable_net.h"

namespace gear::plugins::growth {

/// Depthwise filters [n, 1, k, k] that pass each channel through (centre tap 1).
torch::Tensor identity_filters(const std::vector<int64_t>& sizes,
                               const torch::TensorOptions& options);

/// A SliceInit drawing incoming weights N(0, fresh_in²) and outgoing weights
/// U(-fresh_out, fresh_out) with `generator` (borrowed; must outlive the returned function).
SliceInit fresh_slice_init(double fresh_in, double fresh_out, torch::Generator& generator);

}  // namespace gear::plugins::growth
