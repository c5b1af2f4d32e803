#include "batch_norm_kernels.h"

#include <ATen/Dispatch.h>

#include <vector>

#include "isa.h"

#define GEAR_PER_ISA_FILE "batch_norm_kernels.inc"
#include "per_isa.inc"

namespace gear::detail {
namespace {

// Calls f(Kernels{}) with the kernels of this CPU's instruction set.
template <typename F>
decltype(auto) with_kernels(const F& f) {
  return on_isa<avx512::Kernels, avx2::Kernels, baseline::Kernels>(f);
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
    with_kernels([&](auto k) {
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
    with_kernels([&](auto k) {
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
    with_kernels([&](auto k) {
      with_activation(activation, [&](auto a) {
        sums = fold_slices(decltype(k)::template grad_sums<decltype(a)::value>(
            ptr<scalar_t>(x), ptr<scalar_t>(y), ptr<scalar_t>(dy), ptr<scalar_t>(dz), g,
            mean.data_ptr<double>()));
      });
    });
  });
  return sums.view({2, g.c});
}

void norm_grad_affine(const torch::Tensor& y, const torch::Tensor& dy, const torch::Tensor& dz,
                      const torch::Tensor& dx, const NormGeometry& g, const torch::Tensor& scale,
                      NormActivation activation) {
  AT_DISPATCH_FLOATING_TYPES(dy.scalar_type(), "gear_batch_norm_grad_affine", [&] {
    with_kernels([&](auto k) {
      with_activation(activation, [&](auto a) {
        decltype(k)::template grad_affine<decltype(a)::value>(ptr<scalar_t>(y), ptr<scalar_t>(dy),
                                                              ptr<scalar_t>(dz), ptr<scalar_t>(dx),
                                                              g, scale.data_ptr<double>());
      });
    });
  });
}

void norm_grad_input(const torch::Tensor& x, const torch::Tensor& dz, const torch::Tensor& dx,
                     const NormGeometry& g, const torch::Tensor& c1, const torch::Tensor& c2,
                     const torch::Tensor& c3) {
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gear_batch_norm_grad_input", [&] {
    with_kernels([&](auto k) {
      decltype(k)::grad_input(ptr<scalar_t>(x), ptr<scalar_t>(dz), ptr<scalar_t>(dx), g,
                              c1.data_ptr<double>(), c2.data_ptr<double>(), c3.data_ptr<double>());
    });
  });
}

}  // namespace gear::detail
