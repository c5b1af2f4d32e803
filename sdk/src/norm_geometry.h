#pragma once

// How gear::batch_norm's kernels (batch_norm_kernels.inc) divide their work, for float or double
// tensors [N, C, H, W] in either layout (NCHW or channels-last). Every pass is cut into fixed
// slices (NCHW: one sample; channels-last: kRowsPerSlice pixels), independent of the thread
// count, and each slice writes its own row of partial sums, which are folded in slice order: the
// result is the same with any number of threads, and matches the old per-sample order in NCHW.

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "gear/batch_norm.h"

namespace gear::detail {

constexpr int64_t kRowsPerSlice = 128;

struct NormGeometry {
  int64_t n = 0, c = 0, hw = 0;
  bool channels_last = false;  // rows of c values, one per pixel; else planes of hw values

  int64_t slices() const {
    return channels_last ? (n * hw + kRowsPerSlice - 1) / kRowsPerSlice : n;
  }
  int64_t rows_begin(int64_t slice) const { return slice * kRowsPerSlice; }
  int64_t rows_end(int64_t slice) const { return std::min(n * hw, (slice + 1) * kRowsPerSlice); }
};

// Runs body(slice) for every slice on the intra-op threads (inline inside a batch split, where
// each worker has one).
template <typename Body>
void for_each_slice(const NormGeometry& g, const Body& body) {
  at::parallel_for(0, g.slices(), 1, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) body(s);
  });
}

// Folds the slices' partial rows [S, k * C] in slice order into double [k * C].
inline torch::Tensor fold_slices(const torch::Tensor& partials) {
  const int64_t slices = partials.size(0), width = partials.size(1);
  torch::Tensor total = torch::zeros({width}, torch::kDouble);
  double* out = total.data_ptr<double>();
  const double* in = partials.data_ptr<double>();
  for (int64_t s = 0; s < slices; ++s)
    for (int64_t k = 0; k < width; ++k) out[k] += in[s * width + k];
  return total;
}

// Calls body(std::integral_constant<NormActivation, a>) for the runtime `a`, so that the kernels'
// inner loops are compiled, and vectorised, once per activation.
template <typename Body>
void with_activation(NormActivation a, const Body& body) {
  switch (a) {
    case NormActivation::kIdentity:
      return body(std::integral_constant<NormActivation, NormActivation::kIdentity>{});
    case NormActivation::kRelu:
      return body(std::integral_constant<NormActivation, NormActivation::kRelu>{});
    case NormActivation::kRelu6:
      return body(std::integral_constant<NormActivation, NormActivation::kRelu6>{});
  }
}

}  // namespace gear::detail
