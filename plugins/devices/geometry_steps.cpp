#include "geometry_steps.h"

#include <torch/nn/functional/upsampling.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "step_support.h"

namespace gear::plugins::devices {
namespace {

namespace F = torch::nn::functional;

// Interpolation of float images [N, C, H, W] to h x w with `kernel`; antialias only where
// LibTorch has it (bilinear and bicubic, which need align_corners set).
torch::Tensor interpolate_to(const torch::Tensor& x, int64_t h, int64_t w,
                             const std::string& kernel, bool antialias) {
  auto options = F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w});
  if (kernel == "nearest") {
    options.mode(torch::kNearest);
  } else if (kernel == "area") {
    options.mode(torch::kArea);
  } else {
    if (kernel == "bicubic") {
      options.mode(torch::kBicubic);
    } else {
      options.mode(torch::kBilinear);
    }
    options.align_corners(false).antialias(antialias);
  }
  return F::interpolate(x, options);
}

// Translates float images [N, C, H, W] by `t` pixels along `dim` (2: rows, 3: columns):
// out[i] = in(i - t) read bilinearly, positions outside the image replicating the edge. Every
// output shares the fraction of i - t, so two clamped gathers and one blend do it.
torch::Tensor shift_along(const torch::Tensor& x, double t, int64_t dim) {
  if (t == 0) return x;
  const int64_t n = x.size(dim);
  const double start = std::floor(-t);
  const double fraction = -t - start;
  const int64_t first = static_cast<int64_t>(start);
  const torch::Tensor a = x.index_select(dim, clamped_indices(n, first, n, x.device()));
  if (fraction == 0) return a;  // an integer shift: pixels move, nothing is blended
  const torch::Tensor b = x.index_select(dim, clamped_indices(n, first + 1, n, x.device()));
  return a * (1.0 - fraction) + b * fraction;
}

}  // namespace

// ---- resize -------------------------------------------------------------------------------

const OptionBinder<ResizeOptions>& ResizeStep::binder() {
  static const OptionBinder<ResizeOptions> binder = [] {
    using O = ResizeOptions;
    OptionBinder<O> b;
    b.bind("scale", &O::scale, "size of the intermediate image relative to the input")
        .range(0.1, 1.0);
    b.bind("down", &O::down, "kernel of the down-sampling")
        .one_of({"nearest", "bilinear", "bicubic", "area"});
    b.bind("up", &O::up, "kernel of the up-sampling back to H x W")
        .one_of({"nearest", "bilinear", "bicubic"});
    b.bind("antialias", &O::antialias,
           "widen a bilinear or bicubic down-sampling kernel to the scale (as PIL does); no "
           "effect on nearest and area");
    return b;
  }();
  return binder;
}

OptionSchema ResizeStep::schema() { return binder().schema(); }

ResizeStep::ResizeStep(const Config& config) : ResizeStep(binder().read(config)) {}

ResizeStep::ResizeStep(ResizeOptions options) : options_(std::move(options)) {
  check_options("resize", binder().schema(options_));
}

// At scale 1 the round trip is at the input's own size: the identity, whatever the kernels.
bool ResizeStep::lossless() const { return options_.scale == 1.0; }

torch::Tensor ResizeStep::apply(const torch::Tensor& images, torch::Generator&) {
  check_images("resize", images);
  const int64_t h = images.size(2), w = images.size(3);
  const int64_t small_h =
      std::max<int64_t>(1, std::llround(static_cast<double>(h) * options_.scale));
  const int64_t small_w =
      std::max<int64_t>(1, std::llround(static_cast<double>(w) * options_.scale));
  // Resampling to the same size returns the input for every kernel (align_corners false); saying
  // so exactly keeps lossless() true to its word.
  if (small_h == h && small_w == w) return images.clone();
  torch::Tensor x = images.to(torch::kFloat);
  x = interpolate_to(x, small_h, small_w, options_.down, options_.antialias);
  // The device stores the small image in 8 bits before it is scaled back up.
  x = to_uint8(x).to(torch::kFloat);
  // Up-sampling needs no antialias (it only matters when shrinking).
  return to_uint8(interpolate_to(x, h, w, options_.up, false));
}

// ---- shift --------------------------------------------------------------------------------

const OptionBinder<ShiftOptions>& ShiftStep::binder() {
  static const OptionBinder<ShiftOptions> binder = [] {
    using O = ShiftOptions;
    OptionBinder<O> b;
    b.bind("dx", &O::dx, "horizontal shift in pixels (positive: content moves right)")
        .range(-4.0, 4.0);
    b.bind("dy", &O::dy, "vertical shift in pixels (positive: content moves down)")
        .range(-4.0, 4.0);
    b.bind("jitter", &O::jitter,
           "each image adds its own U(-jitter, jitter) to dx and, independently, to dy")
        .range(0.0, 4.0);
    return b;
  }();
  return binder;
}

OptionSchema ShiftStep::schema() { return binder().schema(); }

ShiftStep::ShiftStep(const Config& config) : ShiftStep(binder().read(config)) {}

ShiftStep::ShiftStep(ShiftOptions options) : options_(options) {
  check_options("shift", binder().schema(options_));
}

bool ShiftStep::lossless() const {
  return options_.dx == 0.0 && options_.dy == 0.0 && options_.jitter == 0.0;
}

torch::Tensor ShiftStep::apply(const torch::Tensor& images, torch::Generator& generator) {
  check_images("shift", images);
  const torch::Tensor x = images.to(torch::kFloat);
  if (options_.jitter == 0)
    return to_uint8(shift_along(shift_along(x, options_.dy, 2), options_.dx, 3));
  const int64_t n = images.size(0);
  if (n == 0) return images.clone();  // torch::cat needs a tensor
  const std::vector<uint64_t> seeds = image_seeds(n, generator);
  std::vector<torch::Tensor> shifted;
  shifted.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    std::mt19937_64 engine(seeds[static_cast<size_t>(i)]);
    const double dx = options_.dx + uniform(engine, -options_.jitter, options_.jitter);
    const double dy = options_.dy + uniform(engine, -options_.jitter, options_.jitter);
    shifted.push_back(shift_along(shift_along(x.narrow(0, i, 1), dy, 2), dx, 3));
  }
  return to_uint8(torch::cat(shifted, 0));
}

// ---- crop ---------------------------------------------------------------------------------

const OptionBinder<CropOptions>& CropStep::binder() {
  static const OptionBinder<CropOptions> binder = [] {
    using O = CropOptions;
    OptionBinder<O> b;
    b.bind("fraction", &O::fraction,
           "share of the height and of the width cut away in total (split between both sides)")
        .range(0.0, 0.4);
    b.bind("random", &O::random,
           "place the window at a uniform random offset per image instead of the centre");
    return b;
  }();
  return binder;
}

OptionSchema CropStep::schema() { return binder().schema(); }

CropStep::CropStep(const Config& config) : CropStep(binder().read(config)) {}

CropStep::CropStep(CropOptions options) : options_(options) {
  check_options("crop", binder().schema(options_));
}

bool CropStep::lossless() const { return options_.fraction == 0.0; }

torch::Tensor CropStep::apply(const torch::Tensor& images, torch::Generator& generator) {
  check_images("crop", images);
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  const int64_t crop_h = std::max<int64_t>(1, h - std::llround(options_.fraction * h));
  const int64_t crop_w = std::max<int64_t>(1, w - std::llround(options_.fraction * w));
  if (crop_h == h && crop_w == w) return images.clone();
  const torch::Tensor x = images.to(torch::kFloat);
  auto window = [&](const torch::Tensor& t, int64_t top, int64_t left) {
    return interpolate_to(t.narrow(2, top, crop_h).narrow(3, left, crop_w), h, w, "bilinear",
                          false);
  };
  if (!options_.random) return to_uint8(window(x, (h - crop_h) / 2, (w - crop_w) / 2));
  if (n == 0) return images.clone();  // torch::cat needs a tensor
  const std::vector<uint64_t> seeds = image_seeds(n, generator);
  std::vector<torch::Tensor> cropped;
  cropped.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    std::mt19937_64 engine(seeds[static_cast<size_t>(i)]);
    // Offsets uniform over 0..h - crop_h (the modulo bias of a 64-bit draw is negligible).
    const int64_t top = static_cast<int64_t>(engine() % static_cast<uint64_t>(h - crop_h + 1));
    const int64_t left = static_cast<int64_t>(engine() % static_cast<uint64_t>(w - crop_w + 1));
    cropped.push_back(window(x.narrow(0, i, 1), top, left));
  }
  return to_uint8(torch::cat(cropped, 0));
}

}  // namespace gear::plugins::devices
