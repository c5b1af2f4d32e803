#include "enhance.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "image_checks.h"

namespace gear::plugins::augmentations::ops {
namespace {

torch::Tensor smooth(const torch::Tensor& images) {
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  if (h < 3 || w < 3) return images.clone();
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(images.device());
  torch::Tensor kernel = torch::ones({1, 1, 3, 3}, f32);
  kernel[0][0][1][1] = 5.0;
  kernel = kernel / 13.0F;
  torch::Tensor planes = images.reshape({n * c, 1, h, w}).to(torch::kFloat32);
  torch::Tensor inner = torch::conv2d(planes, kernel);
  // Pillow adds 0.5 and truncates: round half up, then clip.
  inner = (inner + 0.5F).floor().clamp(0, 255).to(torch::kUInt8).view({n, c, h - 2, w - 2});
  torch::Tensor out = images.clone();
  out.slice(2, 1, h - 1).slice(3, 1, w - 1).copy_(inner);
  return out;
}

}  // namespace

torch::Tensor blend(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& alpha) {
  torch::Tensor t = alpha.to(a.device()).to(torch::kFloat32).view({-1, 1, 1, 1});
  torch::Tensor fa = a.to(torch::kFloat32);
  torch::Tensor mixed = fa + t * (b.to(torch::kFloat32) - fa);
  return mixed.clamp(0, 255).trunc().to(torch::kUInt8);
}

torch::Tensor to_grey(const torch::Tensor& images) {
  check_uint8_images(images, "grey");
  if (images.size(1) == 1) return images;
  if (images.size(1) != 3)
    throw std::invalid_argument("grey: expected 1 or 3 channels, got " +
                                std::to_string(images.size(1)));
  torch::Tensor x = images.to(torch::kInt32);
  torch::Tensor l = x.select(1, 0) * 19595 + x.select(1, 1) * 38470 + x.select(1, 2) * 7471 + 32768;
  return l.bitwise_right_shift(16).to(torch::kUInt8).unsqueeze(1);
}

torch::Tensor color(const torch::Tensor& images, const torch::Tensor& factors) {
  check_uint8_images(images, "color");
  if (images.size(1) == 1) return images.clone();
  return blend(to_grey(images).expand_as(images), images, factors);
}

torch::Tensor contrast(const torch::Tensor& images, const torch::Tensor& factors) {
  check_uint8_images(images, "contrast");
  // ImageStat's mean of the grey image, rounded half up, as one flat level per sample.
  torch::Tensor mean = to_grey(images).to(torch::kFloat64).mean({1, 2, 3}, true);
  torch::Tensor level = (mean + 0.5).floor().to(torch::kUInt8);
  return blend(level.expand_as(images), images, factors);
}

torch::Tensor brightness(const torch::Tensor& images, const torch::Tensor& factors) {
  check_uint8_images(images, "brightness");
  return blend(torch::zeros_like(images), images, factors);
}

torch::Tensor sharpness(const torch::Tensor& images, const torch::Tensor& factors) {
  check_uint8_images(images, "sharpness");
  return blend(smooth(images), images, factors);
}

}  // namespace gear::plugins::augmentations::ops
