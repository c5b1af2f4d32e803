#include "augmix_ops_cpu.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "affine_kernel.h"
#include "augmix_ops.h"

namespace gear::plugins::augmentations::ops {
namespace {

using Lut = std::array<uint8_t, 256>;
using Histogram = std::array<int64_t, 256>;

void identity(Lut& lut) {
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i);
}

// The same rules as lut_ops.h (Pillow's ImageOps), for one channel.
void autocontrast_lut(const Histogram& h, Lut& lut) {
  int lo = 0, hi = 255;
  while (lo < 256 && h[lo] == 0) ++lo;
  while (hi >= 0 && h[hi] == 0) --hi;
  if (hi <= lo) return identity(lut);
  const double scale = 255.0 / static_cast<double>(hi - lo);
  const double offset = -static_cast<double>(lo) * scale;
  for (int i = 0; i < 256; ++i) {
    const auto v = static_cast<int64_t>(static_cast<double>(i) * scale + offset);
    lut[i] = static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255));
  }
}

void equalize_lut(const Histogram& h, Lut& lut) {
  int used = 0, last = -1;
  int64_t total = 0;
  for (int i = 0; i < 256; ++i) {
    total += h[i];
    if (h[i]) {
      ++used;
      last = i;
    }
  }
  if (used <= 1) return identity(lut);
  const int64_t step = (total - h[last]) / 255;
  if (step == 0) return identity(lut);
  int64_t n = step / 2;
  for (int i = 0; i < 256; ++i) {
    lut[i] = static_cast<uint8_t>(std::min<int64_t>(n / step, 255));
    n += h[i];
  }
}

void posterize_lut(int64_t bits, Lut& lut) {
  const int shift = static_cast<int>(8 - std::clamp<int64_t>(bits, 0, 8));
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>((i >> shift) << shift);
}

void solarize_lut(int64_t threshold, Lut& lut) {
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i < threshold ? i : 255 - i);
}

void lut_op(AugOp op, double magnitude, const uint8_t* in, uint8_t* out, int64_t channels,
            int64_t plane) {
  Lut lut;
  for (int64_t c = 0; c < channels; ++c) {
    const uint8_t* p = in + c * plane;
    uint8_t* q = out + c * plane;
    if (op == AugOp::kAutocontrast || op == AugOp::kEqualize) {
      Histogram h{};
      for (int64_t k = 0; k < plane; ++k) ++h[p[k]];
      if (op == AugOp::kAutocontrast)
        autocontrast_lut(h, lut);
      else
        equalize_lut(h, lut);
    } else if (op == AugOp::kPosterize) {
      posterize_lut(static_cast<int64_t>(magnitude), lut);
    } else {
      solarize_lut(static_cast<int64_t>(magnitude), lut);
    }
    for (int64_t k = 0; k < plane; ++k) q[k] = lut[p[k]];
  }
}

bool is_geometric(AugOp op) {
  return op == AugOp::kRotate || op == AugOp::kShearX || op == AugOp::kShearY ||
         op == AugOp::kTranslateX || op == AugOp::kTranslateY;
}

// One op of the affine or lookup-table family on one image; `out` must not alias `in`.
void apply_one(AugOp op, double magnitude, const uint8_t* in, uint8_t* out, int64_t channels,
               int64_t h, int64_t w) {
  if (is_geometric(op)) {
    const auto m = augmix_inverse_map(op, magnitude, h, w);
    affine_one(in, out, channels, h, w, m.data());
  } else {
    lut_op(op, magnitude, in, out, channels, h * w);
  }
}

}  // namespace

ChainKernel::ChainKernel(const torch::Tensor& depth, const torch::Tensor& ops,
                         const torch::Tensor& levels, const torch::Tensor& negate,
                         int64_t image_size)
    : depth_(depth.to(torch::kCPU, torch::kLong).contiguous()),
      ops_(ops.to(torch::kCPU, torch::kLong).contiguous()),
      levels_(levels.to(torch::kCPU, torch::kFloat64).contiguous()),
      negate_(negate.to(torch::kCPU, torch::kBool).contiguous()),
      chains_(depth_.size(0)),
      steps_(ops_.size(0)),
      image_size_(image_size) {
  if (ops_.numel() > 0 && ops_.max().item<int64_t>() >= static_cast<int64_t>(AugOp::kColor))
    throw std::invalid_argument("fused chains: enhance ops are not supported");
}

const uint8_t* ChainKernel::run(int64_t m, const uint8_t* in, uint8_t* out, uint8_t* scratch,
                                int64_t channels, int64_t h, int64_t w) const {
  const int64_t image = channels * h * w;
  const int64_t n_ops = std::min(depth_.data_ptr<int64_t>()[m], steps_);
  if (n_ops <= 0) {
    if (!out) return in;
    std::memcpy(out, in, static_cast<size_t>(image));
    return out;
  }
  const int64_t* id = ops_.data_ptr<int64_t>();
  const double* level = levels_.data_ptr<double>();
  const bool* flip = negate_.data_ptr<bool>();
  // Ping-pong between the two scratch halves; with `out`, the last op writes straight into it.
  const uint8_t* current = in;
  for (int64_t s = 0; s < n_ops; ++s) {
    uint8_t* target = out && s + 1 == n_ops ? out : scratch + (s % 2) * image;
    const auto op = static_cast<AugOp>(id[s * chains_ + m]);
    const double magnitude =
        augmix_magnitude(op, level[s * chains_ + m], flip[s * chains_ + m], image_size_);
    apply_one(op, magnitude, current, target, channels, h, w);
    current = target;
  }
  return current;
}

torch::Tensor run_augmix_chains_cpu(const torch::Tensor& chains, const torch::Tensor& depth,
                                    const torch::Tensor& ops, const torch::Tensor& levels,
                                    const torch::Tensor& negate, int64_t image_size) {
  const ChainKernel kernel(depth, ops, levels, negate, image_size);
  torch::Tensor in = chains.contiguous();
  const int64_t m = in.size(0), c = in.size(1), h = in.size(2), w = in.size(3);
  const int64_t image = c * h * w;
  torch::Tensor out = torch::empty_like(in);
  const uint8_t* src = in.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  at::parallel_for(0, m, 8, [&](int64_t begin, int64_t end) {
    std::vector<uint8_t> scratch(static_cast<size_t>(2 * image));
    for (int64_t i = begin; i < end; ++i)
      kernel.run(i, src + i * image, dst + i * image, scratch.data(), c, h, w);
  });
  return out;
}

torch::Tensor apply_geometric_and_lut_ops_cpu(const torch::Tensor& images, const torch::Tensor& ops,
                                              const torch::Tensor& magnitudes) {
  torch::Tensor in = images.contiguous();
  torch::Tensor op_ids = ops.to(torch::kLong).contiguous();
  torch::Tensor mags = magnitudes.to(torch::kFloat64).contiguous();
  torch::Tensor out = torch::empty_like(in);
  const int64_t n = in.size(0), c = in.size(1), h = in.size(2), w = in.size(3);
  const int64_t image = c * h * w;
  const uint8_t* src = in.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  const int64_t* id = op_ids.data_ptr<int64_t>();
  const double* mag = mags.data_ptr<double>();
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const uint8_t* p = src + i * image;
      uint8_t* q = dst + i * image;
      const auto op = static_cast<AugOp>(id[i]);
      if (id[i] < 0 || op >= AugOp::kColor) {
        std::memcpy(q, p, static_cast<size_t>(image));
      } else {
        apply_one(op, mag[i], p, q, c, h, w);
      }
    }
  });
  return out;
}

}  // namespace gear::plugins::augmentations::ops
