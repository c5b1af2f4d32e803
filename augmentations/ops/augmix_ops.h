#pragma once

/// @file
/// The AugMix operation set: names, the reference's mapping from a sampled level to each op's
/// magnitude, and a batched call that applies a different op to every sample.

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace gear::plugins::augmentations::ops {

/// Op ids, in the reference's order (augmentations.py): the 9 default ops, then the 4 enhance ops
/// that `all_ops` adds.
enum class AugOp : int64_t {
  kAutocontrast,
  kEqualize,
  kPosterize,
  kRotate,
  kSolarize,
  kShearX,
  kShearY,
  kTranslateX,
  kTranslateY,
  kColor,
  kContrast,
  kBrightness,
  kSharpness,
};

/// "autocontrast", "equalize", ..., "sharpness": every op, indexed by AugOp.
const std::vector<std::string>& augmix_op_names();
/// Number of default ops (the first 9); the remaining 4 are the `all_ops` extras.
constexpr int64_t kDefaultOpCount = 9;
/// The id of `name`; throws std::invalid_argument listing the names when there is none.
AugOp augmix_op(const std::string& name);

/// Natural magnitudes (float64 [N]) from levels l (float [N], AugMix draws U(0.1, severity)) and
/// sign flips `negate` (bool [N]) for ops `ops` (int64 AugOp ids [N]), as the reference maps them:
/// posterize bits 4 - int(4 l / 10); rotate ±int(30 l / 10) degrees; solarize threshold
/// 256 - int(256 l / 10); shear ±0.3 l / 10; translate ±int((size / 3) l / 10) pixels; enhance
/// factor 1.8 l / 10 + 0.1. `image_size` is the reference's IMAGE_SIZE (the image width).
torch::Tensor augmix_magnitudes(const torch::Tensor& ops, const torch::Tensor& levels,
                                const torch::Tensor& negate, int64_t image_size);

/// One magnitude: the definition augmix_magnitudes applies to every sample.
double augmix_magnitude(AugOp op, double level, bool negate, int64_t image_size);

/// Pillow's inverse map (a, b, c, d, e, f) for a geometric op with magnitude `m` on an image of
/// height `h` and width `w` (see affine.h): rotate(m degrees) about the centre, counter-clockwise
/// with sine and cosine rounded to 15 decimals as Pillow does; shear_x (1, m, 0, 0, 1, 0) and
/// shear_y (1, 0, 0, m, 1, 0), pivot at the top-left corner; translate_x (1, 0, m, 0, 1, 0) and
/// translate_y (1, 0, 0, 0, 1, m), so content moves left / up for m > 0. Identity for other ops.
std::array<double, 6> augmix_inverse_map(AugOp op, double m, int64_t h, int64_t w);

/// Applies op `ops[i]` with magnitude `magnitudes[i]` (natural units, as above) to image i of
/// uint8 `images` [N, C, H, W]; a negative op id leaves its image as it is. On the CPU one kernel
/// pass, parallel over images; elsewhere one batched tensor call per op family present (affine,
/// lookup table, enhance), whatever N is. Returns a new uint8 tensor.
torch::Tensor apply_augmix_ops(const torch::Tensor& images, const torch::Tensor& ops,
                               const torch::Tensor& magnitudes);

/// The tensor-operation path of apply_augmix_ops, on any device (the CUDA path; tests check that
/// the CPU kernel agrees with it).
torch::Tensor apply_augmix_ops_generic(const torch::Tensor& images, const torch::Tensor& ops,
                                       const torch::Tensor& magnitudes);

/// One op on a whole batch, with a magnitude per sample (natural units): the entry point the
/// Python module's `gear.ops.<name>` uses. Throws std::invalid_argument for an unknown name.
torch::Tensor apply_augmix_op(const std::string& name, const torch::Tensor& images,
                              const torch::Tensor& magnitudes);

}  // namespace gear::plugins::augmentations::ops
