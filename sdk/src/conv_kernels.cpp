#include "conv_kernels.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "isa.h"

#define GEAR_PER_ISA_FILE "conv_kernels.inc"
#include "per_isa.inc"

namespace gear::detail {
namespace {

// Images per task (and per block of the weight gradient's partial sums): a 28x28 image with 16
// output channels is ~110K multiply-adds, so four make a task worth starting.
constexpr int64_t kImagesPerBlock = 4;

int64_t blocks_of(int64_t images) { return (images + kImagesPerBlock - 1) / kImagesPerBlock; }

template <typename F>
decltype(auto) with_kernels(const F& f) {
  return on_isa<avx512::OneChannelConv, avx2::OneChannelConv, baseline::OneChannelConv>(f);
}

// One task's scratch for OneChannelConv, zeroed: the padded image, then one wide plane.
template <typename T>
struct Scratch {
  Scratch(int64_t h, int64_t w)
      : padded_size(baseline::OneChannelConv::padded_size(h, w)),
        data(static_cast<size_t>(padded_size + baseline::OneChannelConv::wide_size(h, w)), T(0)) {}
  T* padded() { return data.data(); }
  T* wide() { return data.data() + padded_size; }

  int64_t padded_size;
  std::vector<T> data;
};

}  // namespace

torch::Tensor one_channel_conv(const torch::Tensor& input, const torch::Tensor& weight,
                               const torch::Tensor& bias) {
  const int64_t n = input.size(0), h = input.size(2), w = input.size(3), o = weight.size(0);
  torch::Tensor out = torch::empty({n, o, h, w}, input.options());
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "gear_one_channel_conv", [&] {
    const scalar_t* in = input.data_ptr<scalar_t>();
    const scalar_t* k = weight.data_ptr<scalar_t>();
    const scalar_t* b = bias.defined() ? bias.data_ptr<scalar_t>() : nullptr;
    scalar_t* dst = out.data_ptr<scalar_t>();
    at::parallel_for(0, blocks_of(n), 1, [&](int64_t begin, int64_t end) {
      Scratch<scalar_t> scratch(h, w);
      const int64_t first = begin * kImagesPerBlock;
      const int64_t images = std::min(n, end * kImagesPerBlock) - first;
      with_kernels([&](auto kernels) {
        decltype(kernels)::forward(in + first * h * w, k, b, dst + first * o * h * w, images, o, h,
                                   w, scratch.padded(), scratch.wide());
      });
    });
  });
  return out;
}

torch::Tensor one_channel_conv_weight_grad(const torch::Tensor& input,
                                           const torch::Tensor& grad_output) {
  const int64_t n = input.size(0), h = input.size(2), w = input.size(3);
  const int64_t o = grad_output.size(1), blocks = blocks_of(n);
  std::vector<double> partial(static_cast<size_t>(blocks * o * 9), 0.0);
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "gear_one_channel_conv_weight_grad", [&] {
    const scalar_t* in = input.data_ptr<scalar_t>();
    const scalar_t* grad = grad_output.data_ptr<scalar_t>();
    at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
      Scratch<scalar_t> scratch(h, w);
      for (int64_t block = begin; block < end; ++block) {
        const int64_t first = block * kImagesPerBlock;
        const int64_t images = std::min(n - first, kImagesPerBlock);
        with_kernels([&](auto kernels) {
          decltype(kernels)::weight_grad(in + first * h * w, grad + first * o * h * w,
                                         partial.data() + block * o * 9, images, o, h, w,
                                         scratch.padded(), scratch.wide());
        });
      }
    });
  });
  // Blocks folded in order: the same sums for any number of threads.
  torch::Tensor sums = torch::zeros({o * 9}, torch::kDouble);
  double* s = sums.data_ptr<double>();
  for (int64_t block = 0; block < blocks; ++block)
    for (int64_t i = 0; i < o * 9; ++i) s[i] += partial[static_cast<size_t>(block * o * 9 + i)];
  return sums.to(input.scalar_type()).view({o, 1, 3, 3});
}

}  // namespace gear::detail
