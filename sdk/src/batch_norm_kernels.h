#pragma once

// gear::batch_norm's per-element passes (batch_norm_kernels.inc), each run in the widest
// instruction set this CPU has (AVX-512, AVX2 + FMA, or the build's baseline), for float or
// double tensors [N, C, H, W] in either layout. Tensors are borrowed for the call.

#include <torch/types.h>

#include "gear/batch_norm.h"
#include "norm_geometry.h"

namespace gear::detail {

/// Per-channel count, mean and sum of squared deviations of `x`, two-pass: double [3, C].
torch::Tensor norm_moments(const torch::Tensor& x, const NormGeometry& g);

/// y = activation(x * scale + shift + residual) per channel (`residual` may be undefined);
/// `scale` and `shift` are double [C].
void norm_normalise(const torch::Tensor& x, const torch::Tensor& residual, const torch::Tensor& y,
                    const NormGeometry& g, const torch::Tensor& scale, const torch::Tensor& shift,
                    NormActivation activation);

/// dz = dy * activation'(y) into `dz` (undefined for the identity, where dz is dy), and the sums
/// of dz and of dz * (x - mean) over `x`: double [2, C].
torch::Tensor norm_grad_sums(const torch::Tensor& x, const torch::Tensor& y,
                             const torch::Tensor& dy, const torch::Tensor& dz,
                             const NormGeometry& g, const torch::Tensor& mean,
                             NormActivation activation);

/// dx = scale * dy * activation'(y) per channel (`scale` double [C]), and dz = dy *
/// activation'(y) into `dz` unless it is undefined: the backward of an evaluation-mode norm.
void norm_grad_affine(const torch::Tensor& y, const torch::Tensor& dy, const torch::Tensor& dz,
                      const torch::Tensor& dx, const NormGeometry& g, const torch::Tensor& scale,
                      NormActivation activation);

/// dx = c1 * dz + c2 * x + c3 per channel; c1, c2, c3 double [C].
void norm_grad_input(const torch::Tensor& x, const torch::Tensor& dz, const torch::Tensor& dx,
                     const NormGeometry& g, const torch::Tensor& c1, const torch::Tensor& c2,
                     const torch::Tensor& c3);

}  // namespace gear::detail
