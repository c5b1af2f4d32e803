#include "batch_norm_kernels.h"

#include <ATen/Dispatch.h>

#include <vector>

// Every header the kernels need comes first, compiled for the baseline; the kernels themselves
// follow once per instruction set. GCC's target pragmas do not reach templates defined outside
// them (std::vector, ATen), so no baseline symbol is built with wider instructions.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GEAR_NORM_X86 1
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")
#define GEAR_NORM_ISA avx512
#include "batch_norm_kernels.inc"
#undef GEAR_NORM_ISA
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define GEAR_NORM_ISA avx2
#include "batch_norm_kernels.inc"
#undef GEAR_NORM_ISA
#pragma GCC pop_options
#else
#define GEAR_NORM_X86 0
#endif
#define GEAR_NORM_ISA baseline
#include "batch_norm_kernels.inc"
#undef GEAR_NORM_ISA

namespace gear::detail {
namespace {

enum class Isa { kBaseline, kAvx2, kAvx512 };

Isa detected_isa() {
#if GEAR_NORM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
    return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
#endif
  return Isa::kBaseline;
}

Isa isa() {
  static const Isa chosen = detected_isa();
  return chosen;
}

// Calls f(Kernels{}) with the kernels of this CPU's instruction set.
template <typename F>
decltype(auto) on_isa(const F& f) {
#if GEAR_NORM_X86
  switch (isa()) {
    case Isa::kAvx512:
      return f(avx512::Kernels{});
    case Isa::kAvx2:
      return f(avx2::Kernels{});
    case Isa::kBaseline:
      break;
  }
#endif
  return f(baseline::Kernels{});
}

// The data of `t`, or null for an undefined (absent) tensor.
template <typename T>
T* ptr(const torch::Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace

torch::Tensor norm_moments(const torch::Tensor& x, const NormGeometry& g) {
  const double count = static_cast<double>(g.n * g.hw);
  torch::Tensor mean, m2;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gear_batch_norm_moments", [&] {
    on_isa([&](auto k) {
      using K = decltype(k);
      const std::vector<scalar_t> zero(static_cast<size_t>(g.c), scalar_t(0));
      mean = fold_slices(K::template slice_sums<1>(ptr<scalar_t>(x), g, zero.data())) / count;
      const double* mean_data = mean.data_ptr<double>();
      const std::vector<scalar_t> m(mean_data, mean_data + g.c);
      m2 = fold_slices(K::template slice_sums<2>(ptr<scalar_t>(x), g, m.data()));
    });
  });
  return torch::stack({torch::full({g.c}, count, torch::kDouble), mean, m2});
}

void norm_normalise(const torch::Tensor& x, const torch::Tensor& residual, const torch::Tensor& y,
                    const NormGeometry& g, const torch::Tensor& scale, const torch::Tensor& shift,
                    NormActivation activation) {
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gear_batch_norm_normalise", [&] {
    on_isa([&](auto k) {
      with_activation(activation, [&](auto a) {
        decltype(k)::template normalise<decltype(a)::value>(
            ptr<scalar_t>(x), ptr<scalar_t>(residual), ptr<scalar_t>(y), g,
            scale.data_ptr<double>(), shift.data_ptr<double>());
      });
    });
  });
}

torch::Tensor norm_grad_sums(const torch::Tensor& x, const torch::Tensor& y,
                             const torch::Tensor& dy, const torch::Tensor& dz,
                             const NormGeometry& g, const torch::Tensor& mean,
                             NormActivation activation) {
  torch::Tensor sums;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gear_batch_norm_grad_sums", [&] {
    on_isa([&](auto k) {
      with_activation(activation, [&](auto a) {
        sums = fold_slices(decltype(k)::template grad_sums<decltype(a)::value>(
            ptr<scalar_t>(x), ptr<scalar_t>(y), ptr<scalar_t>(dy), ptr<scalar_t>(dz), g,
            mean.data_ptr<double>()));
      });
    });
  });
  return sums.view({2, g.c});
}

void norm_grad_input(const torch::Tensor& x, const torch::Tensor& dz, const torch::Tensor& dx,
                     const NormGeometry& g, const torch::Tensor& c1, const torch::Tensor& c2,
                     const torch::Tensor& c3) {
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gear_batch_norm_grad_input", [&] {
    on_isa([&](auto k) {
      decltype(k)::grad_input(ptr<scalar_t>(x), ptr<scalar_t>(dz), ptr<scalar_t>(dx), g,
                              c1.data_ptr<double>(), c2.data_ptr<double>(), c3.data_ptr<double>());
    });
  });
}

}  // namespace gear::detail
