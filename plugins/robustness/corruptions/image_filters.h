#pragma once

/// @file
/// Filters the corruptions share: Gaussian blur with SciPy's border modes, bilinear sampling,
/// the reference's clipped zoom and ImageMagick's motion blur.

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace gear::plugins::corruptions {

/// How a filter reads outside the image. kNearest: edge replicated (SciPy "nearest");
/// kReflect: half-sample symmetric, d c b a | a b c d (SciPy "reflect"); kMirror: the edge not
/// repeated, d c b | a b c d (SciPy "mirror", OpenCV BORDER_REFLECT_101).
enum class Border { kNearest, kReflect, kMirror };

/// Source index of each position of a row of length n padded by `before` and `after`.
torch::Tensor border_indices(int64_t n, int64_t before, int64_t after, Border border);

/// scipy.ndimage.gaussian_filter over H and W of float [N, C, H, W] (skimage.filters.gaussian
/// with channels kept apart): radius int(truncate * sigma + 0.5), normalised weights.
torch::Tensor gaussian_blur(const torch::Tensor& x, double sigma, double truncate, Border border);

/// The reference's clipped_zoom of float [N, C, H, W] (square): crop the centre ceil(h / zoom),
/// zoom it back by `zoom` with order-1 splines (corners aligned, as scipy.ndimage.zoom), trim
/// the centre h x h.
torch::Tensor clipped_zoom(const torch::Tensor& x, double zoom);

/// ImageMagick's MotionBlurImage on float [N, C, H, W] in [0, 255]: a one-sided line of
/// 2 ceil(radius) + 1 taps with Gaussian(sigma) weights over the tap index, tap i at offset
/// (round(i cos a), round(i sin a)) for each sample's angle a (degrees, [N]), edges replicated.
torch::Tensor motion_blur_kernel(const torch::Tensor& x, double radius, double sigma,
                                 const torch::Tensor& angles);

/// One 64-bit seed per image, drawn from `g`: the per-image loops seed their own engines so the
/// result does not depend on how images are split across threads.
std::vector<uint64_t> image_seeds(int64_t n, torch::Generator& g);

}  // namespace gear::plugins::corruptions
