// Digital corruptions: brightness (HSV value shift), contrast (towards the channel means),
// elastic transform (random affine, then a smooth random displacement) and pixelate (Pillow's
// BOX resize down and back up).
#include <torch/torch.h>

#include <cmath>

#include "corruption_ops.h"
#include "image_filters.h"

namespace gear::plugins::corruptions {
namespace F = torch::nn::functional;
namespace {

// Pillow's BOX resampling weights from `in` to `out` samples ([out, in], rows sum to 1):
// precompute_coeffs with box_filter (1 on (-0.5, 0.5]) and support 0.5 * max(scale, 1).
torch::Tensor box_weights(int64_t in, int64_t out) {
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const double filter_scale = std::max(scale, 1.0);
  const double support = 0.5 * filter_scale;
  torch::Tensor w = torch::zeros({out, in}, torch::kFloat64);
  for (int64_t o = 0; o < out; ++o) {
    const double centre = (static_cast<double>(o) + 0.5) * scale;
    const auto lo = std::max<int64_t>(static_cast<int64_t>(centre - support + 0.5), 0);
    const auto hi = std::min<int64_t>(static_cast<int64_t>(centre + support + 0.5), in);
    double total = 0.0;
    std::vector<double> row;
    for (int64_t i = lo; i < hi; ++i) {
      const double t = (static_cast<double>(i) - centre + 0.5) / filter_scale;
      row.push_back(t > -0.5 && t <= 0.5 ? 1.0 : 0.0);
      total += row.back();
    }
    for (int64_t i = lo; i < hi; ++i)
      if (total > 0) w[o][i] = row[i - lo] / total;
  }
  return w;
}

// One Pillow resize of uint8-valued images: horizontal pass, then vertical, each rounded to
// integers as Pillow's 8-bit passes are.
torch::Tensor box_resize(const torch::Tensor& pixels, int64_t h_out, int64_t w_out) {
  torch::Tensor wx = box_weights(pixels.size(3), w_out).to(pixels.scalar_type());
  torch::Tensor wy = box_weights(pixels.size(2), h_out).to(pixels.scalar_type());
  torch::Tensor rows = torch::matmul(pixels, wx.t()).add(0.5).floor().clamp(0, 255);
  return torch::matmul(wy, rows).add(0.5).floor().clamp(0, 255);
}

// Bilinear sampling of [N, C, H, W] at pixel coordinates (xs, ys) [N, H, W] with the border
// handling of grid_sample: kMirror (OpenCV BORDER_REFLECT_101) or kReflect (SciPy "reflect").
torch::Tensor sample(const torch::Tensor& x, const torch::Tensor& xs, const torch::Tensor& ys,
                     Border border) {
  const double h = static_cast<double>(x.size(2)), w = static_cast<double>(x.size(3));
  const bool corners = border == Border::kMirror;
  torch::Tensor gx = corners ? xs * (2.0 / (w - 1)) - 1 : (xs * 2 + 1) / w - 1;
  torch::Tensor gy = corners ? ys * (2.0 / (h - 1)) - 1 : (ys * 2 + 1) / h - 1;
  torch::Tensor grid = torch::stack({gx, gy}, 3).to(x.scalar_type());
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kReflection)
                            .align_corners(corners));
}

}  // namespace

torch::Tensor brightness(const torch::Tensor& x, int severity, torch::Generator&) {
  const double c = large(x) ? std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5}[severity - 1]
                            : std::vector<double>{0.05, 0.1, 0.15, 0.2, 0.3}[severity - 1];
  // With hue and saturation fixed, RGB scales with V = max(R, G, B): raising V to min(V + c, 1)
  // scales the pixel; a black pixel (V = 0, saturation 0) becomes grey c.
  torch::Tensor v = x.amax(1, true);
  torch::Tensor target = (v + c).clamp_max(1.0);
  torch::Tensor scaled = x * (target / v.clamp_min(1e-12));
  return torch::where(v > 0, scaled, target.expand_as(x)).clamp(0, 1) * 255;
}

torch::Tensor contrast(const torch::Tensor& x, int severity, torch::Generator&) {
  const double c = large(x) ? std::vector<double>{0.4, 0.3, 0.2, 0.1, 0.05}[severity - 1]
                            : std::vector<double>{0.75, 0.5, 0.4, 0.3, 0.15}[severity - 1];
  torch::Tensor means = x.mean({2, 3}, true);
  return ((x - means) * c + means).clamp(0, 1) * 255;
}

torch::Tensor elastic_transform(const torch::Tensor& x, int severity, torch::Generator& g) {
  static const double k32[5][3] = {
      {0, 0, 0.08}, {0.05, 0.2, 0.07}, {0.08, 0.06, 0.06}, {0.1, 0.04, 0.05}, {0.1, 0.03, 0.03}};
  static const double k64[5][3] = {
      {0, 0, 0.08}, {0.05, 0.3, 0.06}, {0.1, 0.08, 0.06}, {0.1, 0.03, 0.03}, {0.16, 0.03, 0.02}};
  const double* k = large(x) ? k64[severity - 1] : k32[severity - 1];
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const double size = static_cast<double>(std::min(h, w));
  const double alpha = size * k[0], sigma = size * k[1], jitter = size * k[2];
  // Random affine: three anchor points around the centre, each coordinate moved by U(±jitter);
  // the map takes the anchors to the moved ones (cv2.getAffineTransform + warpAffine).
  const double cx = std::floor(static_cast<double>(w) / 2),
               cy = std::floor(static_cast<double>(h) / 2);
  const double s = std::floor(size / 3);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  torch::Tensor src =
      torch::tensor({cx + s, cy + s, cx + s, cy - s, cx - s, cy - s}, f64).view({1, 3, 2});
  torch::Tensor dst = src + (torch::rand({n, 3, 2}, g, f64) * 2 - 1) * jitter;
  // Solve dst = M [src; 1] for each sample, then invert M: warpAffine samples the source at
  // M^-1 (output pixel).
  torch::Tensor a = torch::cat({src.expand({n, 3, 2}), torch::ones({n, 3, 1}, f64)}, 2);  // [n,3,3]
  torch::Tensor m = at::linalg_solve(a, dst).transpose(1, 2);                             // [n,2,3]
  torch::Tensor full =
      torch::cat({m, torch::tensor({0.0, 0.0, 1.0}, f64).view({1, 1, 3}).expand({n, 1, 3})}, 1);
  torch::Tensor inv = at::linalg_inv(full);
  torch::Tensor ys = torch::arange(h, f64).view({1, h, 1}).expand({n, h, w});
  torch::Tensor xs = torch::arange(w, f64).view({1, 1, w}).expand({n, h, w});
  auto coeff = [&](int64_t r, int64_t col) {
    return inv.select(1, r).select(1, col).view({n, 1, 1});
  };
  torch::Tensor sx = coeff(0, 0) * xs + coeff(0, 1) * ys + coeff(0, 2);
  torch::Tensor sy = coeff(1, 0) * xs + coeff(1, 1) * ys + coeff(1, 2);
  torch::Tensor warped = sample(x, sx, sy, Border::kMirror);
  // Smooth displacement fields: gaussian(U(-1, 1), sigma, mode="reflect", truncate=3) * alpha.
  auto field = [&] {
    torch::Tensor u = torch::rand({n, 1, h, w}, g, x.options()) * 2 - 1;
    return (gaussian_blur(u, sigma, 3.0, Border::kReflect) * alpha).squeeze(1).to(torch::kFloat64);
  };
  torch::Tensor dx = field(), dy = field();
  // map_coordinates(order=1, mode="reflect") at (row + dy, column + dx).
  torch::Tensor out = sample(warped, xs + dx, ys + dy, Border::kReflect);
  return out.clamp(0, 1) * 255;
}

torch::Tensor pixelate(const torch::Tensor& x, int severity, torch::Generator&) {
  const double c = large(x) ? std::vector<double>{0.9, 0.8, 0.7, 0.6, 0.5}[severity - 1]
                            : std::vector<double>{0.95, 0.9, 0.85, 0.75, 0.65}[severity - 1];
  const int64_t h = x.size(2), w = x.size(3);
  // Pillow works on the uint8 image: start from its integer values.
  torch::Tensor pixels = (x * 255).round();
  const auto small_h = static_cast<int64_t>(static_cast<double>(h) * c);
  const auto small_w = static_cast<int64_t>(static_cast<double>(w) * c);
  return box_resize(box_resize(pixels, small_h, small_w), h, w);
}

}  // namespace gear::plugins::corruptions
