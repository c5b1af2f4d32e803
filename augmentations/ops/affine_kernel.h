#pragma once

/// @file
/// The per-image CPU kernel of Pillow's bilinear AFFINE transform (see affine.h).

#include <cstdint>

namespace gear::plugins::augmentations::ops {

/// Resamples one image `in` [C, H, W] into `out` (same shape, not aliasing `in`) through the
/// inverse map `m` (a, b, c, d, e, f).
void affine_one(const uint8_t* in, uint8_t* out, int64_t channels, int64_t h, int64_t w,
                const double* m);

}  // namespace gear::plugins::augmentations::ops
