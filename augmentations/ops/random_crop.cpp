#include "random_crop.h"

namespace gear {

torch::Tensor crop_at(const torch::Tensor& images, int64_t padding, const torch::Tensor& dy,
                      const torch::Tensor& dx) {
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const int64_t padded_w = w + 2 * padding;
  const auto index_options = torch::TensorOptions().dtype(torch::kLong).device(images.device());
  torch::Tensor padded = torch::constant_pad_nd(images, {padding, padding, padding, padding}, 0);
  // Two gathers, one per axis: row r of sample i is padded row dy[i] + r, then likewise columns.
  // The index grids are broadcast views, so nothing of size N*C*H*W is built for them.
  torch::Tensor rows = (dy.view({n, 1, 1, 1}) + torch::arange(h, index_options).view({1, 1, h, 1}))
                           .expand({n, c, h, padded_w});
  torch::Tensor cols = (dx.view({n, 1, 1, 1}) + torch::arange(w, index_options).view({1, 1, 1, w}))
                           .expand({n, c, h, w});
  return padded.gather(2, rows).gather(3, cols);
}

torch::Tensor random_crop(const torch::Tensor& images, int64_t padding,
                          torch::Generator& generator) {
  const int64_t n = images.size(0);
  const auto index_options = torch::TensorOptions().dtype(torch::kLong).device(images.device());
  torch::Tensor dy = torch::randint(0, 2 * padding + 1, {n}, generator, index_options);
  torch::Tensor dx = torch::randint(0, 2 * padding + 1, {n}, generator, index_options);
  return crop_at(images, padding, dy, dx);
}

}  // namespace gear
