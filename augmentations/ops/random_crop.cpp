#include "random_crop.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>

namespace gear::plugins::augmentations {

int64_t crop_padding(int64_t option, const torch::Tensor& images) {
  if (option != kAutoPadding) return option;
  return (std::min(images.size(2), images.size(3)) + 4) / 8;
}

namespace {

// The same crop as row copies: a window of the zero-padded image is the image shifted by
// (dy - padding, dx - padding) with zeros where the shift uncovers the border.
torch::Tensor crop_at_cpu(const torch::Tensor& images, int64_t padding, const torch::Tensor& dy,
                          const torch::Tensor& dx) {
  torch::Tensor in = images.contiguous();
  torch::Tensor oy = dy.to(torch::kLong).contiguous(), ox = dx.to(torch::kLong).contiguous();
  torch::Tensor out = torch::zeros_like(in);
  const int64_t n = in.size(0), planes = in.size(1), h = in.size(2), w = in.size(3);
  const uint8_t* src = in.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  const int64_t* ys = oy.data_ptr<int64_t>();
  const int64_t* xs = ox.data_ptr<int64_t>();
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t sy = ys[i] - padding, sx = xs[i] - padding;
      const int64_t x0 = std::max<int64_t>(0, -sx), x1 = std::min<int64_t>(w, w - sx);
      if (x1 <= x0) continue;
      for (int64_t c = 0; c < planes; ++c)
        for (int64_t y = std::max<int64_t>(0, -sy); y < std::min<int64_t>(h, h - sy); ++y)
          std::memcpy(dst + ((i * planes + c) * h + y) * w + x0,
                      src + ((i * planes + c) * h + y + sy) * w + x0 + sx,
                      static_cast<size_t>(x1 - x0));
    }
  });
  return out;
}

}  // namespace

torch::Tensor crop_at(const torch::Tensor& images, int64_t padding, const torch::Tensor& dy,
                      const torch::Tensor& dx) {
  if (images.device().is_cpu() && images.scalar_type() == torch::kUInt8)
    return crop_at_cpu(images, padding, dy, dx);
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

}  // namespace gear::plugins::augmentations
