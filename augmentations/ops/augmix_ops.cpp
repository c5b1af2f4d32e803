#include "augmix_ops.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "affine.h"
#include "augmix_ops_cpu.h"
#include "enhance.h"
#include "image_checks.h"
#include "lut_ops.h"

namespace gear::plugins::augmentations::ops {
namespace {

torch::Tensor mask_of(const torch::Tensor& ops, std::initializer_list<AugOp> members) {
  torch::Tensor mask = torch::zeros_like(ops, torch::kBool);
  for (AugOp op : members) mask |= ops == static_cast<int64_t>(op);
  return mask;
}

// Per-sample inverse maps [N, 6] on the ops' device, from the scalar definition.
torch::Tensor affine_matrices(const torch::Tensor& ops, const torch::Tensor& magnitudes, int64_t h,
                              int64_t w) {
  torch::Tensor op = ops.to(torch::kCPU).contiguous();
  torch::Tensor mag = magnitudes.to(torch::kCPU).contiguous();
  const int64_t n = op.numel();
  torch::Tensor out = torch::empty({n, 6}, torch::kFloat64);
  const int64_t* id = op.data_ptr<int64_t>();
  const double* m = mag.data_ptr<double>();
  double* o = out.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    const auto map = augmix_inverse_map(static_cast<AugOp>(id[i]), m[i], h, w);
    std::copy(map.begin(), map.end(), o + 6 * i);
  }
  return out.to(ops.device());
}

torch::Tensor lookup_tables(const torch::Tensor& images, const torch::Tensor& ops,
                            const torch::Tensor& magnitudes) {
  const int64_t c = images.size(1);
  torch::Tensor histograms = channel_histograms(images);
  auto where_op = [&](AugOp op, const torch::Tensor& candidate, const torch::Tensor& current) {
    return torch::where((ops == static_cast<int64_t>(op)).view({-1, 1, 1}), candidate, current);
  };
  torch::Tensor lut = autocontrast_luts(histograms);
  lut = where_op(AugOp::kEqualize, equalize_luts(histograms), lut);
  lut = where_op(AugOp::kPosterize, posterize_luts(magnitudes, c), lut);
  lut = where_op(AugOp::kSolarize, solarize_luts(magnitudes, c), lut);
  return lut;
}

// Runs `fn` on the samples selected by `mask` and writes the results back into `out`.
template <typename Fn>
void on_subset(torch::Tensor& out, const torch::Tensor& mask, Fn fn) {
  torch::Tensor index = mask.nonzero().view({-1});
  if (index.numel() == 0) return;
  out.index_copy_(0, index, fn(index));
}

}  // namespace

const std::vector<std::string>& augmix_op_names() {
  static const std::vector<std::string> kNames = {
      "autocontrast", "equalize",    "posterize", "rotate",   "solarize",   "shear_x",  "shear_y",
      "translate_x",  "translate_y", "color",     "contrast", "brightness", "sharpness"};
  return kNames;
}

AugOp augmix_op(const std::string& name) {
  const auto& names = augmix_op_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<AugOp>(i);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown augmentation op '" + name + "'; the ops are: " + list);
}

torch::Tensor augmix_magnitudes(const torch::Tensor& ops, const torch::Tensor& levels,
                                const torch::Tensor& negate, int64_t image_size) {
  // [N] values from the scalar definition: one mapping, whichever path consumes it.
  torch::Tensor op = ops.to(torch::kCPU).to(torch::kLong).contiguous().view({-1});
  torch::Tensor level = levels.to(torch::kCPU).to(torch::kFloat64).contiguous().view({-1});
  torch::Tensor flip = negate.to(torch::kCPU).to(torch::kBool).contiguous().view({-1});
  const int64_t n = op.numel();
  torch::Tensor out = torch::empty({n}, torch::kFloat64);
  const int64_t* id = op.data_ptr<int64_t>();
  const double* l = level.data_ptr<double>();
  const bool* neg = flip.data_ptr<bool>();
  double* o = out.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i)
    o[i] = augmix_magnitude(static_cast<AugOp>(id[i]), l[i], neg[i], image_size);
  return out.to(levels.device());
}

namespace {

void check_batch(const torch::Tensor& images, const torch::Tensor& ops,
                 const torch::Tensor& magnitudes) {
  check_uint8_images(images, "augmix ops");
  const int64_t n = images.size(0);
  if (ops.numel() != n || magnitudes.numel() != n)
    throw std::invalid_argument("augmix ops: expected one op and one magnitude per image (" +
                                std::to_string(n) + ")");
}

void apply_enhance_ops(torch::Tensor& out, const torch::Tensor& images, const torch::Tensor& op,
                       const torch::Tensor& mag) {
  using Enhance = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&);
  const std::pair<AugOp, Enhance> enhancers[] = {{AugOp::kColor, &color},
                                                 {AugOp::kContrast, &contrast},
                                                 {AugOp::kBrightness, &brightness},
                                                 {AugOp::kSharpness, &sharpness}};
  for (const auto& [id, fn] : enhancers) {
    Enhance enhance = fn;
    on_subset(out, op == static_cast<int64_t>(id), [&](const torch::Tensor& index) {
      return enhance(images.index_select(0, index), mag.index_select(0, index));
    });
  }
}

}  // namespace

double augmix_magnitude(AugOp op, double level, bool negate, int64_t image_size) {
  const double sign = negate ? -1.0 : 1.0;
  auto int_parameter = [&](double max) { return std::trunc(level * max / 10.0); };
  switch (op) {
    case AugOp::kPosterize:
      return 4.0 - int_parameter(4);
    case AugOp::kRotate:
      return int_parameter(30) * sign;
    case AugOp::kSolarize:
      return 256.0 - int_parameter(256);
    case AugOp::kShearX:
    case AugOp::kShearY:
      return level * 0.3 / 10.0 * sign;
    case AugOp::kTranslateX:
    case AugOp::kTranslateY:
      return int_parameter(static_cast<double>(image_size) / 3.0) * sign;
    case AugOp::kColor:
    case AugOp::kContrast:
    case AugOp::kBrightness:
    case AugOp::kSharpness:
      return level * 1.8 / 10.0 + 0.1;
    default:
      return 0.0;
  }
}

std::array<double, 6> augmix_inverse_map(AugOp op, double m, int64_t h, int64_t w) {
  switch (op) {
    case AugOp::kRotate: {
      auto round15 = [](double x) { return std::nearbyint(x * 1e15) / 1e15; };
      const double angle = -std::fmod(std::fmod(m, 360.0) + 360.0, 360.0) * (M_PI / 180.0);
      const double a = round15(std::cos(angle)), b = round15(std::sin(angle));
      const double d = round15(-std::sin(angle)), e = a;
      const double cx = static_cast<double>(w) / 2.0, cy = static_cast<double>(h) / 2.0;
      return {a, b, a * -cx + b * -cy + cx, d, e, d * -cx + e * -cy + cy};
    }
    case AugOp::kShearX:
      return {1, m, 0, 0, 1, 0};
    case AugOp::kShearY:
      return {1, 0, 0, m, 1, 0};
    case AugOp::kTranslateX:
      return {1, 0, m, 0, 1, 0};
    case AugOp::kTranslateY:
      return {1, 0, 0, 0, 1, m};
    default:
      return {1, 0, 0, 0, 1, 0};
  }
}

torch::Tensor apply_augmix_ops(const torch::Tensor& images, const torch::Tensor& ops,
                               const torch::Tensor& magnitudes) {
  check_batch(images, ops, magnitudes);
  if (!images.device().is_cpu()) return apply_augmix_ops_generic(images, ops, magnitudes);
  torch::Tensor op = ops.to(torch::kLong).view({-1});
  torch::Tensor mag = magnitudes.to(torch::kFloat64).view({-1});
  torch::Tensor out = apply_geometric_and_lut_ops_cpu(images, op, mag);
  if (op.max().item<int64_t>() >= static_cast<int64_t>(AugOp::kColor))
    apply_enhance_ops(out, images, op, mag);
  return out;
}

torch::Tensor apply_augmix_ops_generic(const torch::Tensor& images, const torch::Tensor& ops,
                                       const torch::Tensor& magnitudes) {
  check_batch(images, ops, magnitudes);
  const int64_t h = images.size(2), w = images.size(3);
  torch::Tensor op = ops.to(images.device()).to(torch::kLong).view({-1});
  torch::Tensor mag = magnitudes.to(images.device()).to(torch::kFloat64).view({-1});
  torch::Tensor out = images.clone();
  on_subset(out,
            mask_of(op, {AugOp::kRotate, AugOp::kShearX, AugOp::kShearY, AugOp::kTranslateX,
                         AugOp::kTranslateY}),
            [&](const torch::Tensor& index) {
              torch::Tensor sub_ops = op.index_select(0, index);
              torch::Tensor m = affine_matrices(sub_ops, mag.index_select(0, index), h, w);
              return affine_bilinear(images.index_select(0, index), m);
            });
  on_subset(
      out,
      mask_of(op, {AugOp::kAutocontrast, AugOp::kEqualize, AugOp::kPosterize, AugOp::kSolarize}),
      [&](const torch::Tensor& index) {
        torch::Tensor sub = images.index_select(0, index);
        return apply_lut(sub,
                         lookup_tables(sub, op.index_select(0, index), mag.index_select(0, index)));
      });
  apply_enhance_ops(out, images, op, mag);
  return out;
}

torch::Tensor apply_augmix_op(const std::string& name, const torch::Tensor& images,
                              const torch::Tensor& magnitudes) {
  const AugOp id = augmix_op(name);
  if (images.dim() != 4) throw std::invalid_argument(name + ": expected images [N, C, H, W]");
  const int64_t n = images.size(0);
  torch::Tensor mag = magnitudes.numel() == 1 ? magnitudes.reshape({1}).expand({n}) : magnitudes;
  auto ops = torch::full({n}, static_cast<int64_t>(id),
                         torch::TensorOptions().dtype(torch::kLong).device(images.device()));
  return apply_augmix_ops(images, ops, mag);
}

}  // namespace gear::plugins::augmentations::ops
