// Blur corruptions: defocus (anti-aliased disk), glass (blur, local pixel swaps, blur), motion
// (ImageMagick's one-sided line) and zoom (average of centre zooms).
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "corruption_ops.h"
#include "image_filters.h"

namespace gear::plugins::corruptions {
namespace F = torch::nn::functional;
namespace {

// The reference's disk(): a normalised disk on a 17 x 17 grid (wider for radius > 8), then
// cv2.GaussianBlur with a 3 x 3 (5 x 5) kernel of sigma `alias` and BORDER_REFLECT_101.
torch::Tensor disk_kernel(double radius, double alias) {
  const int64_t half = radius <= 8 ? 8 : static_cast<int64_t>(radius);
  const int64_t size = 2 * half + 1;
  torch::Tensor coords = torch::arange(-half, half + 1, torch::kFloat64);
  torch::Tensor r2 = coords.view({-1, 1}).pow(2) + coords.view({1, -1}).pow(2);
  torch::Tensor disk = (r2 <= radius * radius).to(torch::kFloat64);
  disk /= disk.sum();
  const int64_t k = radius <= 8 ? 1 : 2;
  std::vector<double> g;
  double total = 0;
  for (int64_t i = -k; i <= k; ++i) {
    g.push_back(std::exp(-static_cast<double>(i * i) / (2 * alias * alias)));
    total += g.back();
  }
  torch::Tensor gk = torch::tensor(g, torch::kFloat64) / total;
  torch::Tensor d = disk.view({1, 1, size, size});
  d = d.index_select(3, border_indices(size, k, k, Border::kMirror));
  d = F::conv2d(d, gk.view({1, 1, 1, -1}));
  d = d.index_select(2, border_indices(size, k, k, Border::kMirror));
  d = F::conv2d(d, gk.view({1, 1, -1, 1})).view({size, size});
  // Small radii leave most of the 17 x 17 grid exactly zero: keep the non-zero core (symmetric),
  // which gives the same filter output at a fraction of the cost.
  int64_t keep = half;
  while (keep > 0 && torch::all(d[half - keep] == 0).item<bool>() &&
         torch::all(d.select(1, half - keep) == 0).item<bool>())
    --keep;
  return d.slice(0, half - keep, half + keep + 1)
      .slice(1, half - keep, half + keep + 1)
      .contiguous();
}

}  // namespace

torch::Tensor defocus_blur(const torch::Tensor& x, int severity, torch::Generator&) {
  static const double k32[5][2] = {{0.3, 0.4}, {0.4, 0.5}, {0.5, 0.6}, {1, 0.2}, {1.5, 0.1}};
  static const double k64[5][2] = {{0.5, 0.6}, {1, 0.1}, {1.5, 0.1}, {2.5, 0.01}, {3, 0.1}};
  const double* c = large(x) ? k64[severity - 1] : k32[severity - 1];
  torch::Tensor kernel = disk_kernel(c[0] * spatial_scale(x), c[1]).to(x.scalar_type());
  const int64_t n = x.size(0), ch = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t half = kernel.size(0) / 2;
  // cv2.filter2D: correlation with BORDER_REFLECT_101 (the disk is symmetric anyway).
  torch::Tensor planes = x.reshape({n * ch, 1, h, w});
  planes = planes.index_select(3, border_indices(w, half, half, Border::kMirror));
  planes = planes.index_select(2, border_indices(h, half, half, Border::kMirror));
  torch::Tensor out = F::conv2d(planes, kernel.view({1, 1, kernel.size(0), kernel.size(1)}));
  return out.view({n, ch, h, w}).clamp(0, 1) * 255;
}

torch::Tensor glass_blur(const torch::Tensor& x, int severity, torch::Generator& g) {
  static const double k32[5][3] = {
      {0.05, 1, 1}, {0.25, 1, 1}, {0.4, 1, 1}, {0.25, 1, 2}, {0.4, 1, 2}};
  static const double k64[5][3] = {{0.1, 1, 1}, {0.5, 1, 1}, {0.6, 1, 2}, {0.7, 2, 1}, {0.9, 2, 2}};
  const double* c = large(x) ? k64[severity - 1] : k32[severity - 1];
  const double sigma = c[0];
  const auto delta = static_cast<int64_t>(c[1]);
  const auto iterations = static_cast<int64_t>(c[2]);
  // np.uint8(gaussian(x) * 255): truncation before the swaps, as the reference.
  torch::Tensor blurred = (gaussian_blur(x, sigma, 4.0, Border::kNearest) * 255)
                              .clamp(0, 255)
                              .floor()
                              .to(torch::kUInt8)
                              .contiguous();
  const int64_t n = x.size(0), ch = x.size(1), h = x.size(2), w = x.size(3);
  const std::vector<uint64_t> seeds = image_seeds(n, g);
  uint8_t* data = blurred.data_ptr<uint8_t>();
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      std::mt19937_64 engine(seeds[i]);
      // np.random.randint(-delta, delta): the upper bound is exclusive.
      std::uniform_int_distribution<int64_t> offset(-delta, delta - 1);
      uint8_t* img = data + i * ch * h * w;
      for (int64_t it = 0; it < iterations; ++it)
        for (int64_t r = h - delta; r > delta; --r)
          for (int64_t col = w - delta; col > delta; --col) {
            const int64_t dx = offset(engine), dy = offset(engine);
            const int64_t r2 = r + dy, c2 = col + dx;
            for (int64_t k = 0; k < ch; ++k)
              std::swap(img[(k * h + r) * w + col], img[(k * h + r2) * w + c2]);
          }
    }
  });
  torch::Tensor swapped = blurred.to(x.scalar_type()) / 255;
  return gaussian_blur(swapped, sigma, 4.0, Border::kNearest).clamp(0, 1) * 255;
}

torch::Tensor motion_blur(const torch::Tensor& x, int severity, torch::Generator& g) {
  static const double k32[5][2] = {{6, 1}, {6, 1.5}, {6, 2}, {8, 2}, {9, 2.5}};
  static const double k64[5][2] = {{10, 1}, {10, 1.5}, {10, 2}, {10, 2.5}, {12, 3}};
  const double* c = large(x) ? k64[severity - 1] : k32[severity - 1];
  torch::Tensor angles = torch::rand({x.size(0)}, g, torch::kFloat64) * 90.0 - 45.0;
  // The reference blurs a uint8 PNG and decodes it: values come back rounded to integers.
  torch::Tensor pixels = (x * 255).round();
  return motion_blur_kernel(pixels, c[0] * spatial_scale(x), c[1], angles).round().clamp(0, 255);
}

torch::Tensor zoom_blur(const torch::Tensor& x, int severity, torch::Generator&) {
  // np.arange(1, 1.06, 0.01) etc.: 7, 12, 16, 21 and 26 factors 1.00, 1.01, ...
  static const int kCounts[5] = {7, 12, 16, 21, 26};
  const int count = kCounts[severity - 1];
  torch::Tensor out = torch::zeros_like(x);
  for (int k = 0; k < count; ++k) out += clipped_zoom(x, 1.0 + 0.01 * k);
  return ((x + out) / static_cast<double>(count + 1)).clamp(0, 1) * 255;
}

}  // namespace gear::plugins::corruptions
