#include "image_filters.h"

#include <torch/torch.h>

#include <cmath>

namespace gear::plugins::corruptions {
namespace F = torch::nn::functional;

torch::Tensor border_indices(int64_t n, int64_t before, int64_t after, Border border) {
  std::vector<int64_t> index;
  index.reserve(static_cast<size_t>(n + before + after));
  for (int64_t i = -before; i < n + after; ++i) {
    int64_t j = i;
    if (border == Border::kNearest) {
      j = std::clamp<int64_t>(i, 0, n - 1);
    } else if (n == 1) {
      j = 0;
    } else {
      // Fold into one period of the mirrored sequence.
      const int64_t period = border == Border::kReflect ? 2 * n : 2 * n - 2;
      j = ((i % period) + period) % period;
      if (border == Border::kReflect && j >= n) j = period - 1 - j;
      if (border == Border::kMirror && j >= n) j = period - j;
    }
    index.push_back(j);
  }
  return torch::tensor(index, torch::kLong);
}

torch::Tensor gaussian_blur(const torch::Tensor& x, double sigma, double truncate, Border border) {
  if (sigma <= 0.0) return x.clone();
  const auto radius = static_cast<int64_t>(truncate * sigma + 0.5);
  if (radius == 0) return x.clone();
  std::vector<double> w;
  double total = 0.0;
  for (int64_t i = -radius; i <= radius; ++i) {
    w.push_back(std::exp(-0.5 * static_cast<double>(i * i) / (sigma * sigma)));
    total += w.back();
  }
  for (double& v : w) v /= total;
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  torch::Tensor k = torch::tensor(w, torch::kFloat64).to(x.scalar_type());
  torch::Tensor planes = x.reshape({n * c, 1, h, wd});
  planes = planes.index_select(3, border_indices(wd, radius, radius, border));
  planes = F::conv2d(planes, k.view({1, 1, 1, -1}));
  planes = planes.index_select(2, border_indices(h, radius, radius, border));
  planes = F::conv2d(planes, k.view({1, 1, -1, 1}));
  return planes.view({n, c, h, wd});
}

torch::Tensor clipped_zoom(const torch::Tensor& x, double zoom) {
  const int64_t h = x.size(2);
  const auto ch = static_cast<int64_t>(std::ceil(static_cast<double>(h) / zoom));
  const int64_t top = (h - ch) / 2;
  torch::Tensor crop = x.slice(2, top, top + ch).slice(3, top, top + ch);
  const auto out = static_cast<int64_t>(std::nearbyint(static_cast<double>(ch) * zoom));
  torch::Tensor zoomed = F::interpolate(crop, F::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{out, out})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(true));
  const int64_t trim = (out - h) / 2;
  return zoomed.slice(2, trim, trim + h).slice(3, trim, trim + h);
}

torch::Tensor motion_blur_kernel(const torch::Tensor& x, double radius, double sigma,
                                 const torch::Tensor& angles) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const auto taps = static_cast<int64_t>(2.0 * std::ceil(radius) + 1.0);
  std::vector<double> weight;
  double total = 0.0;
  for (int64_t i = 0; i < taps; ++i) {
    weight.push_back(std::exp(-static_cast<double>(i * i) / (2.0 * sigma * sigma)));
    total += weight.back();
  }
  torch::Tensor radians = angles.to(torch::kFloat64) * (M_PI / 180.0);
  torch::Tensor cos_a = radians.cos(), sin_a = radians.sin();
  torch::Tensor ys = torch::arange(h, torch::kLong).view({1, h, 1});
  torch::Tensor xs = torch::arange(w, torch::kLong).view({1, 1, w});
  torch::Tensor flat = x.reshape({n, c, h * w});
  torch::Tensor out = torch::zeros_like(x);
  for (int64_t i = 0; i < taps; ++i) {
    // ImageMagick rounds each tap's offset with ceil(v - 0.5).
    torch::Tensor dx =
        (cos_a * static_cast<double>(i) - 0.5).ceil().to(torch::kLong).view({n, 1, 1});
    torch::Tensor dy =
        (sin_a * static_cast<double>(i) - 0.5).ceil().to(torch::kLong).view({n, 1, 1});
    torch::Tensor index = ((ys + dy).clamp(0, h - 1) * w + (xs + dx).clamp(0, w - 1))
                              .view({n, 1, h * w})
                              .expand({n, c, h * w});
    out += flat.gather(2, index).view({n, c, h, w}) * (weight[i] / total);
  }
  return out;
}

std::vector<uint64_t> image_seeds(int64_t n, torch::Generator& g) {
  torch::Tensor seeds = torch::randint(0, int64_t{1} << 62, {n}, g, torch::kLong).contiguous();
  const int64_t* p = seeds.data_ptr<int64_t>();
  return std::vector<uint64_t>(p, p + n);
}

}  // namespace gear::plugins::corruptions
