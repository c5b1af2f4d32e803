#include "gear/batch_norm.h"

#include <ATen/Dispatch.h>
#include <torch/autograd.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "gear/batch_split.h"
#include "gear/ranks.h"

namespace gear {
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Per-channel count, mean and sum of squared deviations (M2) of this worker's share, two-pass in
// double: [3, C] = (count, mean, M2).
template <typename T>
torch::Tensor local_moments(const T* x, int64_t n, int64_t c, int64_t hw) {
  torch::Tensor out = torch::empty({3, c}, torch::kDouble);
  double* count = out.data_ptr<double>();
  double* mean = count + c;
  double* m2 = mean + c;
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const T* row = x + (i * c + ch) * hw;
      T s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < hw; ++j) s += row[j];
      sum += s;
    }
    const double m = sum / static_cast<double>(n * hw);
    double dev = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const T* row = x + (i * c + ch) * hw;
      const T mt = static_cast<T>(m);
      T s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < hw; ++j) s += (row[j] - mt) * (row[j] - mt);
      dev += s;
    }
    count[ch] = static_cast<double>(n * hw);
    mean[ch] = m;
    m2[ch] = dev;
  }
  return out;
}

// Chan et al.'s pairwise update, folded over the workers in rank order (the same on every worker).
struct Moments {
  torch::Tensor mean, var;  // double [C]; var biased
  double count = 0.0;
};

// The parts' (count, mean, M2) folded into one [3, C] of the same form.
torch::Tensor combine_parts(const std::vector<torch::Tensor>& parts) {
  const int64_t c = parts.front().size(1);
  torch::Tensor mean = torch::zeros({c}, torch::kDouble), m2 = torch::zeros({c}, torch::kDouble);
  std::vector<double> count(static_cast<size_t>(c), 0.0);
  double* mu = mean.data_ptr<double>();
  double* m = m2.data_ptr<double>();
  for (const auto& part : parts) {
    const double* pc = part.data_ptr<double>();
    const double* pm = pc + c;
    const double* p2 = pm + c;
    for (int64_t ch = 0; ch < c; ++ch) {
      const double na = count[ch], nb = pc[ch], n = na + nb;
      if (nb == 0.0) continue;
      const double delta = pm[ch] - mu[ch];
      mu[ch] += delta * nb / n;
      m[ch] += p2[ch] + delta * delta * na * nb / n;
      count[ch] = n;
    }
  }
  torch::Tensor counts = torch::tensor(count, torch::kDouble);
  return torch::stack({counts, mean, m2});
}

Moments moments_of(const torch::Tensor& folded) {
  Moments result;
  result.count = folded.size(1) == 0 ? 0.0 : folded[0][0].item<double>();
  result.mean = folded[1].contiguous();
  result.var = folded[2] / result.count;
  return result;
}

std::vector<torch::Tensor> rows_of(const torch::Tensor& stacked) {
  std::vector<torch::Tensor> rows;
  for (int64_t r = 0; r < stacked.size(0); ++r) rows.push_back(stacked[r].contiguous());
  return rows;
}

// This process's `local` (already folded over its workers) folded with every other rank's by
// `fold`, the same on every rank. Worker 0 alone talks to the other ranks, so each rank makes one
// sequence of collectives; it hands the result to its workers through the split under `tag`.
template <typename Fold>
torch::Tensor across_ranks(BatchSplit* split, int worker, const torch::Tensor& local,
                           const void* tag, Fold fold) {
  Ranks* ranks = current_ranks();
  if (ranks == nullptr) return local;
  torch::Tensor global;
  if (worker == 0) global = fold(rows_of(ranks->all_gather(local)));
  if (split == nullptr) return global;
  return split->all_gather(worker, worker == 0 ? global : local, tag).front();
}

torch::Tensor sum_parts(const std::vector<torch::Tensor>& parts) {
  torch::Tensor total = torch::zeros_like(parts.front());
  for (const auto& part : parts) total += part;  // in order: the same sum everywhere
  return total;
}

template <typename T>
void normalise(const T* x, T* y, int64_t n, int64_t c, int64_t hw, const double* scale,
               const double* shift) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const T a = static_cast<T>(scale[ch]), b = static_cast<T>(shift[ch]);
      const T* in = x + (i * c + ch) * hw;
      T* out = y + (i * c + ch) * hw;
#pragma omp simd
      for (int64_t j = 0; j < hw; ++j) out[j] = in[j] * a + b;
    }
  }
}

// [2, C]: sum of dy and of dy * (x - mean) over this worker's share.
template <typename T>
torch::Tensor local_grad_sums(const T* x, const T* dy, int64_t n, int64_t c, int64_t hw,
                              const double* mean) {
  torch::Tensor out = torch::zeros({2, c}, torch::kDouble);
  double* sum_dy = out.data_ptr<double>();
  double* sum_dy_xmu = sum_dy + c;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const T m = static_cast<T>(mean[ch]);
      const T* xr = x + (i * c + ch) * hw;
      const T* gr = dy + (i * c + ch) * hw;
      T s = 0, sx = 0;
#pragma omp simd reduction(+ : s, sx)
      for (int64_t j = 0; j < hw; ++j) {
        s += gr[j];
        sx += gr[j] * (xr[j] - m);
      }
      sum_dy[ch] += s;
      sum_dy_xmu[ch] += sx;
    }
  }
  return out;
}

// dx = c1 * dy + c2 * x + c3, per channel.
template <typename T>
void grad_input(const T* x, const T* dy, T* dx, int64_t n, int64_t c, int64_t hw, const double* c1,
                const double* c2, const double* c3) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const T a = static_cast<T>(c1[ch]), b = static_cast<T>(c2[ch]), k = static_cast<T>(c3[ch]);
      const T* xr = x + (i * c + ch) * hw;
      const T* gr = dy + (i * c + ch) * hw;
      T* out = dx + (i * c + ch) * hw;
#pragma omp simd
      for (int64_t j = 0; j < hw; ++j) out[j] = a * gr[j] + b * xr[j] + k;
    }
  }
}

class SplitBatchNorm : public torch::autograd::Function<SplitBatchNorm> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::nn::BatchNorm2dImpl* norm, BatchSplit* split, int64_t rank) {
    const int64_t n = input.size(0), c = input.size(1), hw = input.size(2) * input.size(3);
    // Under mixed precision (bf16 or fp16 autocast) the statistics and the normalisation are
    // computed in float32, as autocast runs torch's own batch norm, and the output is cast back.
    const bool low = input.scalar_type() != torch::kFloat && input.scalar_type() != torch::kDouble;
    torch::Tensor x = (low ? input.to(torch::kFloat) : input).contiguous();
    torch::Tensor local;
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gear_batch_norm_moments",
                               [&] { local = local_moments(x.data_ptr<scalar_t>(), n, c, hw); });
    const int worker = static_cast<int>(rank);
    torch::Tensor folded =
        split ? combine_parts(split->all_gather(worker, local, norm)) : combine_parts({local});
    // The second tag keeps the exchange of the ranks' result apart from the workers' parts.
    Moments all =
        moments_of(across_ranks(split, worker, folded, &norm->running_mean, combine_parts));
    if (all.count <= 1.0)
      throw std::invalid_argument(
          "batch_norm: expected more than 1 value per channel when "
          "training, got input of size " +
          c10::str(input.sizes()));
    const double eps = norm->options.eps();
    torch::Tensor invstd = (all.var + eps).rsqrt();
    torch::Tensor scale =
        weight.defined() ? invstd * weight.detach().to(torch::kDouble) : invstd.clone();
    torch::Tensor shift = -all.mean * scale;
    if (bias.defined()) shift += bias.detach().to(torch::kDouble);
    torch::Tensor y = torch::empty_like(x);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gear_batch_norm_normalise", [&] {
      normalise(x.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), n, c, hw, scale.data_ptr<double>(),
                shift.data_ptr<double>());
    });
    if (rank == 0 && norm->options.track_running_stats()) update_running_stats(*norm, all);
    ctx->save_for_backward({x, weight});
    ctx->saved_data["mean"] = all.mean;
    ctx->saved_data["invstd"] = invstd;
    ctx->saved_data["count"] = all.count;
    ctx->saved_data["norm"] = reinterpret_cast<int64_t>(norm);
    ctx->saved_data["split"] = reinterpret_cast<int64_t>(split);
    ctx->saved_data["rank"] = rank;
    ctx->saved_data["input_type"] = static_cast<int64_t>(input.scalar_type());
    return (low ? y.to(input.scalar_type()) : y).contiguous(input.suggest_memory_format());
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    if (torch::GradMode::is_enabled())
      throw std::logic_error("batch_norm: double backward inside a batch split is not supported");
    auto saved = ctx->get_saved_variables();
    torch::Tensor x = saved[0], weight = saved[1];
    torch::Tensor dy = grads[0].to(x.scalar_type()).contiguous();
    const auto input_type = static_cast<torch::ScalarType>(ctx->saved_data["input_type"].toInt());
    torch::Tensor mean = ctx->saved_data["mean"].toTensor();
    torch::Tensor invstd = ctx->saved_data["invstd"].toTensor();
    const double count = ctx->saved_data["count"].toDouble();
    auto* norm = reinterpret_cast<torch::nn::BatchNorm2dImpl*>(ctx->saved_data["norm"].toInt());
    auto* split = reinterpret_cast<BatchSplit*>(ctx->saved_data["split"].toInt());
    const int rank = static_cast<int>(ctx->saved_data["rank"].toInt());
    const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);

    torch::Tensor local;
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gear_batch_norm_grad_sums", [&] {
      local = local_grad_sums(x.data_ptr<scalar_t>(), dy.data_ptr<scalar_t>(), n, c, hw,
                              mean.data_ptr<double>());
    });
    // The second tag keeps backward's rendezvous apart from forward's for the same layer.
    torch::Tensor total = split ? sum_parts(split->all_gather(rank, local, &norm->options)) : local;
    total = across_ranks(split, rank, total, &norm->running_var, sum_parts);
    torch::Tensor sum_dy = total[0], sum_dy_xmu = total[1];

    torch::Tensor k = weight.defined() ? invstd * weight.to(torch::kDouble) : invstd;
    torch::Tensor proj = invstd * invstd * sum_dy_xmu / count;
    torch::Tensor c1 = k.contiguous(), c2 = (-k * proj).contiguous();
    torch::Tensor c3 = (k * (mean * proj - sum_dy / count)).contiguous();
    torch::Tensor dx = torch::empty_like(x);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gear_batch_norm_grad_input", [&] {
      grad_input(x.data_ptr<scalar_t>(), dy.data_ptr<scalar_t>(), dx.data_ptr<scalar_t>(), n, c, hw,
                 c1.data_ptr<double>(), c2.data_ptr<double>(), c3.data_ptr<double>());
    });
    // Parameter gradients are this share's; the host adds the workers' gradients.
    torch::Tensor grad_weight, grad_bias;
    if (weight.defined() && ctx->needs_input_grad(1))
      grad_weight = (local[1] * invstd).to(weight.scalar_type());
    if (ctx->needs_input_grad(2)) grad_bias = local[0].to(x.scalar_type());
    return {dx.to(input_type), grad_weight,     grad_bias,
            torch::Tensor(),   torch::Tensor(), torch::Tensor()};
  }

 private:
  static void update_running_stats(torch::nn::BatchNorm2dImpl& norm, const Moments& all) {
    torch::NoGradGuard no_grad;
    norm.num_batches_tracked.add_(1);
    const double factor = norm.options.momentum().has_value()
                              ? *norm.options.momentum()
                              : 1.0 / norm.num_batches_tracked.item<double>();
    const torch::Tensor unbiased = all.var * (all.count / (all.count - 1.0));
    norm.running_mean.mul_(1.0 - factor).add_(all.mean.to(norm.running_mean.scalar_type()), factor);
    norm.running_var.mul_(1.0 - factor).add_(unbiased.to(norm.running_var.scalar_type()), factor);
  }
};

bool split_path(const torch::Tensor& input) {
  return input.device().is_cpu() && input.dim() == 4 &&
         (input.scalar_type() == torch::kFloat || input.scalar_type() == torch::kDouble ||
          input.scalar_type() == torch::kBFloat16 || input.scalar_type() == torch::kHalf);
}

}  // namespace

torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl& norm, const torch::Tensor& input) {
  const BatchSplitMember* member = current_batch_split();
  const bool split = member && member->split->workers() > 1;
  if (!norm.is_training() || (!split && current_ranks() == nullptr)) return norm.forward(input);
  if (!split_path(input))
    throw std::invalid_argument(
        std::string("batch_norm: ") + (split ? "a batch split" : "data-parallel training") +
        " takes float, double, bfloat16 or half CPU tensors [N, C, H, W], got " +
        c10::str(input.sizes()) + " " + std::string(c10::toString(input.scalar_type())) + " on " +
        input.device().str());
  return SplitBatchNorm::apply(input, norm.weight, norm.bias, &norm,
                               split ? member->split : nullptr,
                               split ? static_cast<int64_t>(member->rank) : 0);
}

}  // namespace gear
