#pragma once

/// @file
/// What the device steps share: the input check, per-image seeds, the uint8 conversions, the
/// luma weights, lookup tables for point operations and a Gaussian low-pass.

#include <gear/config.h>
#include <torch/types.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace gear::plugins::devices {

/// ITU-R BT.601 luma weights (R, G, B): what the steps use whenever a colour quantity has to
/// become a grey one, so that to_grey, white_balance, color_matrix and webp agree.
inline constexpr std::array<double, 3> kLumaWeights = {0.299, 0.587, 0.114};

/// Throws std::invalid_argument, naming `step`, unless `images` is a defined uint8 tensor
/// [N, C, H, W] with C = 1 or 3 and H, W >= 1.
void check_images(const std::string& step, const torch::Tensor& images);

/// Throws std::invalid_argument, naming `step`, unless every option of `schema` (built from the
/// step's own options as defaults, so each declared default is the value in use) lies within its
/// declared bounds and choices: a step built directly from its options struct, without the
/// host's validation, is held to the same declaration.
void check_options(const std::string& step, const OptionSchema& schema);

/// One 64-bit seed per image, drawn from `generator` in image order (on the generator's device)
/// before any per-image work: image i's draws then depend only on the generator's state and i,
/// not on how the images are split across threads or calls.
std::vector<uint64_t> image_seeds(int64_t n, torch::Generator& generator);

/// A uniform double in [0, 1) from the top 53 bits of one draw: written out so that results do
/// not depend on the standard library's std::uniform_real_distribution.
inline double unit_uniform(std::mt19937_64& engine) {
  return static_cast<double>(engine() >> 11) * 0x1.0p-53;
}

/// A uniform double in [lo, hi).
inline double uniform(std::mt19937_64& engine, double lo, double hi) {
  return lo + (hi - lo) * unit_uniform(engine);
}

/// Float values to uint8: clamped to [0, 255], then rounded to the nearest integer (ties to
/// even, as torch::round does), on the input's device.
torch::Tensor to_uint8(const torch::Tensor& values);

/// `images` (uint8, any device) with each value v replaced by lut[v].
torch::Tensor apply_lut(const torch::Tensor& images, const std::array<uint8_t, 256>& lut);

/// The lookup table of a point operation on [0, 1]: entry v is f(v / 255) * 255 clamped and
/// rounded (ties to even).
template <typename F>
std::array<uint8_t, 256> make_lut(F f) {
  std::array<uint8_t, 256> lut{};
  for (int v = 0; v < 256; ++v) {
    const double y = std::nearbyint(std::min(255.0, std::max(0.0, 255.0 * f(v / 255.0))));
    lut[static_cast<size_t>(v)] = static_cast<uint8_t>(y);
  }
  return lut;
}

/// Separable Gaussian low-pass over H and W of float images [N, C, H, W]: weights
/// exp(-k^2 / (2 sigma^2)) for |k| <= ceil(3 sigma), normalised to sum 1, edges replicated (any
/// image size, however small against the radius).
torch::Tensor gaussian_blur(const torch::Tensor& images, double sigma);

/// The positions offset_begin, ..., offset_begin + count - 1 clamped into [0, n - 1], as int64 on
/// `device`: the source indices of an edge-replicated read of a row of length n.
torch::Tensor clamped_indices(int64_t n, int64_t offset_begin, int64_t count,
                              const torch::Device& device);

/// Runs `codec(pixels, h, w, c)` on each image of `images`, as interleaved [H, W, C] bytes that
/// it rewrites in place, on the CPU and in parallel over images (at::parallel_for, one image per
/// task: a codec call is long enough). A non-empty message returned for an image fails the call
/// with std::runtime_error naming `step` and the image. Returns new images [N, C, H, W] on the
/// input's device.
torch::Tensor map_interleaved(const std::string& step, const torch::Tensor& images,
                              const std::function<std::string(uint8_t*, int, int, int)>& codec);

/// An OptionBinder check's message for a list option that must hold exactly `size` values: ""
/// when it does.
std::string list_size_error(size_t actual, size_t size);

}  // namespace gear::plugins::devices
