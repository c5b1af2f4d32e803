#include "lut_ops.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "image_checks.h"

namespace gear::plugins::augmentations::ops {
namespace {

torch::Tensor levels_like(const torch::Tensor& t) {
  return torch::arange(256, torch::TensorOptions().dtype(torch::kLong).device(t.device()));
}

// Per-sample magnitudes as int64 [N, 1, 1], broadcasting against [N, C, 256] tables.
torch::Tensor per_sample(const torch::Tensor& values) {
  return values.to(torch::kLong).reshape({-1, 1, 1});
}

}  // namespace

torch::Tensor channel_histograms(const torch::Tensor& images) {
  check_uint8_images(images, "histogram");
  const int64_t n = images.size(0), c = images.size(1);
  torch::Tensor flat = images.reshape({n * c, -1}).to(torch::kLong);
  torch::Tensor counts = torch::zeros(
      {n * c, 256}, torch::TensorOptions().dtype(torch::kLong).device(images.device()));
  counts.scatter_add_(1, flat, torch::ones_like(flat));
  return counts.view({n, c, 256});
}

torch::Tensor apply_lut(const torch::Tensor& images, const torch::Tensor& luts) {
  check_uint8_images(images, "lut");
  const int64_t n = images.size(0), c = images.size(1);
  if (luts.dim() != 3 || luts.size(0) != n || luts.size(1) != c || luts.size(2) != 256)
    throw std::invalid_argument("lut: expected tables [N, C, 256] matching the images");
  torch::Tensor table = luts.clamp(0, 255).to(torch::kUInt8).reshape({n * c, 256});
  torch::Tensor index = images.reshape({n * c, -1}).to(torch::kLong);
  return table.gather(1, index).view(images.sizes());
}

torch::Tensor autocontrast_luts(const torch::Tensor& histograms) {
  torch::Tensor used = histograms > 0;
  torch::Tensor levels = levels_like(histograms);
  // First and last used bins; an empty channel cannot occur (every image has pixels).
  torch::Tensor lo = torch::where(used, levels, torch::full_like(levels, 256)).amin(2, true);
  torch::Tensor hi = torch::where(used, levels, torch::full_like(levels, -1)).amax(2, true);
  torch::Tensor span = (hi - lo).to(torch::kFloat64);
  torch::Tensor scale = 255.0 / span.clamp_min(1.0);
  torch::Tensor offset = -lo.to(torch::kFloat64) * scale;
  // int() in Python truncates toward zero; trunc does the same for negative values.
  torch::Tensor stretched = (levels.to(torch::kFloat64) * scale + offset).trunc().clamp(0, 255);
  return torch::where(hi > lo, stretched.to(torch::kLong), levels.expand_as(histograms));
}

torch::Tensor equalize_luts(const torch::Tensor& histograms) {
  torch::Tensor levels = levels_like(histograms);
  torch::Tensor used = histograms > 0;
  torch::Tensor last = torch::where(used, levels, torch::full_like(levels, -1)).amax(2, true);
  torch::Tensor last_count = histograms.gather(2, last.clamp_min(0));
  torch::Tensor total = histograms.sum(2, true);
  torch::Tensor step = torch::div(total - last_count, 255, "floor");
  torch::Tensor below = histograms.cumsum(2) - histograms;  // pixels strictly below each level
  torch::Tensor n = torch::div(step, 2, "floor") + below;
  torch::Tensor lut = torch::div(n, step.clamp_min(1), "floor");
  torch::Tensor keep = (used.sum(2, true) <= 1) | (step == 0);
  return torch::where(keep, levels.expand_as(histograms), lut);
}

torch::Tensor posterize_luts(const torch::Tensor& bits, int64_t channels) {
  torch::Tensor b = per_sample(bits);
  torch::Tensor levels = levels_like(bits).view({1, 1, 256});
  // Drop the low (8 - bits) bits: shifting right and back left is i & ~(2^(8-bits) - 1).
  torch::Tensor shift = 8 - b;
  torch::Tensor lut = levels.bitwise_right_shift(shift).bitwise_left_shift(shift);
  return lut.expand({b.size(0), channels, 256});
}

torch::Tensor solarize_luts(const torch::Tensor& threshold, int64_t channels) {
  torch::Tensor t = per_sample(threshold);
  torch::Tensor levels = levels_like(threshold).view({1, 1, 256});
  torch::Tensor lut = torch::where(levels < t, levels, 255 - levels);
  return lut.expand({t.size(0), channels, 256});
}

torch::Tensor autocontrast(const torch::Tensor& images) {
  return apply_lut(images, autocontrast_luts(channel_histograms(images)));
}

torch::Tensor equalize(const torch::Tensor& images) {
  return apply_lut(images, equalize_luts(channel_histograms(images)));
}

torch::Tensor posterize(const torch::Tensor& images, const torch::Tensor& bits) {
  check_uint8_images(images, "posterize");
  return apply_lut(images, posterize_luts(bits.to(images.device()), images.size(1)));
}

torch::Tensor solarize(const torch::Tensor& images, const torch::Tensor& threshold) {
  check_uint8_images(images, "solarize");
  return apply_lut(images, solarize_luts(threshold.to(images.device()), images.size(1)));
}

}  // namespace gear::plugins::augmentations::ops
