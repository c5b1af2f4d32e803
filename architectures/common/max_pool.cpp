#include "max_pool.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/nn/functional/pooling.h>

#include <algorithm>
#include <cstdint>

namespace gear::plugins::architectures {
namespace {

// ~32K inputs per task: small planes are batched so each OpenMP task is worth starting.
int64_t planes_per_task(int64_t plane_size) { return std::max<int64_t>(1, 32768 / plane_size); }

// One step of LibTorch's rule: a later element `v` (window position `i`) replaces the best so far
// if it is larger or NaN. Written as selects without branches, so the compiler vectorises the
// row loop; a branch would mispredict on every other element of post-ReLU data (half zeros).
template <typename T>
inline void consider(T v, int32_t i, T& best, int32_t& k) {
  const bool wins = v > best || v != v;
  best = wins ? v : best;
  k = wins ? i : k;
}

// Outputs of `width_out` from input rows `r0` and `r1`. `code` (0..3) names the winning window
// element in row-major order: row code / 2, column code % 2. The codes are chosen as 32-bit
// lanes, so the loop vectorises at the float's width (a uint8 result would make the vector 16
// outputs wide, wider than most pooled rows), and narrowed afterwards.
template <typename T>
void pool_chunk(const T* __restrict r0, const T* __restrict r1, T* __restrict out,
                int32_t* __restrict code, int64_t width_out) {
  for (int64_t x = 0; x < width_out; ++x) {
    T best = r0[2 * x];
    int32_t k = 0;
    consider(r0[2 * x + 1], 1, best, k);
    consider(r1[2 * x], 2, best, k);
    consider(r1[2 * x + 1], 3, best, k);
    out[x] = best;
    code[x] = k;
  }
}

template <typename T>
void pool_row(const T* r0, const T* r1, T* out, uint8_t* code, int64_t width_out) {
  constexpr int64_t kChunk = 64;
  int32_t wide[kChunk];
  for (int64_t x = 0; x < width_out; x += kChunk) {
    const int64_t n = std::min(kChunk, width_out - x);
    pool_chunk(r0 + 2 * x, r1 + 2 * x, out + x, wide, n);
    for (int64_t i = 0; i < n; ++i) code[x + i] = static_cast<uint8_t>(wide[i]);
  }
}

template <typename T>
void forward_kernel(const T* in, T* out, uint8_t* code, int64_t planes, int64_t h, int64_t w) {
  const int64_t oh = h / 2, ow = w / 2;
  at::parallel_for(0, planes, planes_per_task(h * w), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      for (int64_t y = 0; y < oh; ++y) {
        const T* r0 = in + (p * h + 2 * y) * w;
        pool_row(r0, r0 + w, out + (p * oh + y) * ow, code + (p * oh + y) * ow, ow);
      }
    }
  });
}

template <typename T>
void backward_kernel(const T* grad_out, const uint8_t* code, T* grad_in, int64_t planes, int64_t h,
                     int64_t w) {
  const int64_t oh = h / 2, ow = w / 2;
  at::parallel_for(0, planes, planes_per_task(h * w), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      for (int64_t y = 0; y < oh; ++y) {
        const T* g = grad_out + (p * oh + y) * ow;
        const uint8_t* c = code + (p * oh + y) * ow;
        T* r0 = grad_in + (p * h + 2 * y) * w;
        for (int64_t x = 0; x < ow; ++x) r0[(c[x] >> 1) * w + 2 * x + (c[x] & 1)] = g[x];
      }
    }
  });
}

class MaxPool2x2 : public torch::autograd::Function<MaxPool2x2> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& input) {
    const int64_t n = input.size(0), ch = input.size(1), h = input.size(2), w = input.size(3);
    torch::Tensor out = torch::empty({n, ch, h / 2, w / 2}, input.options());
    torch::Tensor code = torch::empty({n, ch, h / 2, w / 2}, input.options().dtype(torch::kUInt8));
    AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "max_pool_2x2", [&] {
      forward_kernel(input.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), code.data_ptr<uint8_t>(),
                     n * ch, h, w);
    });
    ctx->save_for_backward({input});
    ctx->saved_data["code"] = code;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    torch::Tensor input = ctx->get_saved_variables()[0];
    torch::Tensor grad = grads[0].contiguous();
    if (torch::GradMode::is_enabled()) {
      // create_graph: LibTorch's own differentiable backward, from its own indices.
      auto pooled = torch::max_pool2d_with_indices(input, {2, 2}, {2, 2});
      return {torch::max_pool2d_with_indices_backward(grad, input, {2, 2}, {2, 2}, {0, 0}, {1, 1},
                                                      false, std::get<1>(pooled))};
    }
    torch::Tensor code = ctx->saved_data["code"].toTensor();
    torch::Tensor grad_in = torch::zeros_like(input);
    const int64_t planes = input.size(0) * input.size(1), h = input.size(2), w = input.size(3);
    AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "max_pool_2x2_backward", [&] {
      backward_kernel(grad.data_ptr<scalar_t>(), code.data_ptr<uint8_t>(),
                      grad_in.data_ptr<scalar_t>(), planes, h, w);
    });
    return {grad_in};
  }
};

// While torch.jit.trace records (an export), torch's op runs: the kernel writes through raw
// pointers, which the trace cannot see, and its output would become a constant of the graph.
bool has_own_kernel(const torch::Tensor& input) {
  return !torch::jit::tracer::isTracing() && input.device().is_cpu() && input.dim() == 4 &&
         input.is_contiguous() &&
         (input.scalar_type() == torch::kFloat || input.scalar_type() == torch::kDouble) &&
         input.size(2) >= 2 && input.size(3) >= 2 && input.numel() > 0;
}

}  // namespace

torch::Tensor max_pool_2x2(const torch::Tensor& input) {
  if (!has_own_kernel(input)) return torch::max_pool2d(input, {2, 2}, {2, 2});
  return MaxPool2x2::apply(input);
}

}  // namespace gear::plugins::architectures
