#pragma once

/// @file
/// The stem stride of GEAR's small-image architectures, shared so that every architecture adapts
/// to 64x64 inputs the same way.

#include <gear/config.h>

#include <cstdint>

namespace gear::plugins::architectures {

/// Adds the `stem_stride` option (0 = automatic) to an architecture's schema.
OptionSchema& add_stem_stride_option(OptionSchema& schema);

/// The stem stride for the option value `option` and a `height` x `width` input: CIFAR-size
/// inputs keep full resolution, 64-pixel and larger inputs are halved once, so the stages see the
/// same feature-map sizes as on CIFAR.
int64_t stem_stride_for(int64_t option, int64_t height, int64_t width);

}  // namespace gear::plugins::architectures
