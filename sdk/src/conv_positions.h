#pragma once

// Which convolutions a net's forward pass runs and how many output positions each produces, for
// MAC counts at the current widths (GrowableNet::macs) and at other widths (CostAtWidths).

#include <cstdint>
#include <vector>

#include "gear/growable_net.h"

namespace gear::detail {

/// One convolution call: its weight and the output positions (batch 1) it produced.
struct ConvCall {
  const void* weight = nullptr;  ///< the weight's TensorImpl, to match the net's parameters
  int64_t weight_numel = 0;
  int64_t positions = 0;
};

/// Runs `net` once on a zero sample of `sample_shape` [C, H, W] in eval mode without gradients
/// (the mode is restored) and returns every convolution it ran. Throws std::runtime_error when
/// the net has convolutions but none was observed.
std::vector<ConvCall> observe_convolutions(GrowableNet& net,
                                           const std::vector<int64_t>& sample_shape);

}  // namespace gear::detail
