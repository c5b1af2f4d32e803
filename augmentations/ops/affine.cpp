#include "affine.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "affine_kernel.h"
#include "image_checks.h"

namespace gear::plugins::augmentations::ops {
namespace {

void check_inputs(const torch::Tensor& images, const torch::Tensor& matrices) {
  check_uint8_images(images, "affine");
  if (matrices.dim() != 2 || matrices.size(0) != images.size(0) || matrices.size(1) != 6)
    throw std::invalid_argument("affine: expected one 6-coefficient matrix per image [" +
                                std::to_string(images.size(0)) + ", 6]");
}

}  // namespace

torch::Tensor affine_bilinear(const torch::Tensor& images, const torch::Tensor& matrices) {
  check_inputs(images, matrices);
  if (!images.device().is_cpu()) return affine_bilinear_generic(images, matrices);
  torch::Tensor in = images.contiguous();
  torch::Tensor m = matrices.to(torch::kFloat64).contiguous();
  torch::Tensor out = torch::empty_like(in);
  const int64_t n = in.size(0), c = in.size(1), h = in.size(2), w = in.size(3);
  const uint8_t* src = in.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  const double* coeffs = m.data_ptr<double>();
  const int64_t image_size = c * h * w;
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      affine_one(src + i * image_size, dst + i * image_size, c, h, w, coeffs + 6 * i);
  });
  return out;
}

torch::Tensor affine_bilinear_generic(const torch::Tensor& images, const torch::Tensor& matrices) {
  check_inputs(images, matrices);
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(images.device());
  torch::Tensor m = matrices.to(f64).view({n, 6, 1, 1});
  torch::Tensor xc = (torch::arange(w, f64) + 0.5).view({1, 1, w});
  torch::Tensor yc = (torch::arange(h, f64) + 0.5).view({1, h, 1});
  auto coeff = [&](int64_t k) { return m.select(1, k); };  // [N, 1, 1]
  torch::Tensor xin = coeff(0) * xc + coeff(1) * yc + coeff(2);
  torch::Tensor yin = coeff(3) * xc + coeff(4) * yc + coeff(5);
  torch::Tensor inside = (xin >= 0) & (xin < w) & (yin >= 0) & (yin < h);
  xin = xin - 0.5;
  yin = yin - 0.5;
  torch::Tensor fx = xin.floor(), fy = yin.floor();
  torch::Tensor dx = (xin - fx).unsqueeze(1), dy = (yin - fy).unsqueeze(1);
  torch::Tensor ix = fx.to(torch::kLong), iy = fy.to(torch::kLong);
  torch::Tensor x0 = ix.clamp(0, w - 1), x1 = (ix + 1).clamp(0, w - 1);
  torch::Tensor y0 = iy.clamp(0, h - 1);
  // Outside points are masked below, but their indices must still be valid for the gather.
  torch::Tensor y1 = torch::where(iy + 1 < h, iy + 1, y0).clamp(0, h - 1);
  torch::Tensor flat = images.reshape({n, c, h * w}).to(torch::kFloat64);
  auto sample = [&](const torch::Tensor& yy, const torch::Tensor& xx) {
    torch::Tensor index = (yy * w + xx).view({n, 1, h * w}).expand({n, c, h * w});
    return flat.gather(2, index).view({n, c, h, w});
  };
  torch::Tensor a0 = sample(y0, x0), a1 = sample(y0, x1), b0 = sample(y1, x0), b1 = sample(y1, x1);
  torch::Tensor v1 = a0 + (a1 - a0) * dx;
  torch::Tensor v2 = b0 + (b1 - b0) * dx;
  torch::Tensor v = (v1 + (v2 - v1) * dy).trunc();
  return torch::where(inside.unsqueeze(1), v, torch::zeros_like(v)).to(torch::kUInt8);
}

}  // namespace gear::plugins::augmentations::ops
