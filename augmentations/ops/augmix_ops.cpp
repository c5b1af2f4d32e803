#include "augmix_ops.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "affine.h"
#include "augmix_ops_cpu.h"
#include "enhance.h"
#include "image_checks.h"
#include "lut_ops.h"

namespace gear::ops {
namespace {

torch::Tensor mask_of(const torch::Tensor& ops, std::initializer_list<AugOp> members) {
  torch::Tensor mask = torch::zeros_like(ops, torch::kBool);
  for (AugOp op : members) mask |= ops == static_cast<int64_t>(op);
  return mask;
}

// Per-sample inverse maps for the five geometric ops; identity rows for the rest.
torch::Tensor affine_matrices(const torch::Tensor& ops, const torch::Tensor& magnitudes, int64_t h,
                              int64_t w) {
  auto pick = [&](AugOp op, const torch::Tensor& candidate, const torch::Tensor& current) {
    return torch::where((ops == static_cast<int64_t>(op)).unsqueeze(1), candidate, current);
  };
  torch::Tensor m = translate_x_matrices(torch::zeros_like(magnitudes));
  m = pick(AugOp::kRotate, rotate_matrices(magnitudes, h, w), m);
  m = pick(AugOp::kShearX, shear_x_matrices(magnitudes), m);
  m = pick(AugOp::kShearY, shear_y_matrices(magnitudes), m);
  m = pick(AugOp::kTranslateX, translate_x_matrices(magnitudes), m);
  m = pick(AugOp::kTranslateY, translate_y_matrices(magnitudes), m);
  return m;
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
  torch::Tensor l = levels.to(torch::kFloat64);
  torch::Tensor sign = torch::where(negate, -torch::ones_like(l), torch::ones_like(l));
  // int_parameter(l, max) = int(l * max / 10) and float_parameter(l, max) = l * max / 10, with the
  // reference's order of operations so truncation happens at the same values.
  auto int_parameter = [&](double max) { return (l * max / 10.0).trunc(); };
  auto float_parameter = [&](double max) { return l * max / 10.0; };
  torch::Tensor m = torch::zeros_like(l);
  auto set = [&](AugOp op, const torch::Tensor& value) {
    m = torch::where(ops == static_cast<int64_t>(op), value, m);
  };
  set(AugOp::kPosterize, 4.0 - int_parameter(4));
  set(AugOp::kRotate, int_parameter(30) * sign);
  set(AugOp::kSolarize, 256.0 - int_parameter(256));
  set(AugOp::kShearX, float_parameter(0.3) * sign);
  set(AugOp::kShearY, float_parameter(0.3) * sign);
  torch::Tensor shift = int_parameter(static_cast<double>(image_size) / 3.0) * sign;
  set(AugOp::kTranslateX, shift);
  set(AugOp::kTranslateY, shift);
  torch::Tensor factor = float_parameter(1.8) + 0.1;
  for (AugOp op : {AugOp::kColor, AugOp::kContrast, AugOp::kBrightness, AugOp::kSharpness})
    set(op, factor);
  return m;
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

}  // namespace gear::ops
