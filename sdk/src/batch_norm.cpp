#include "gear/batch_norm.h"

#include <torch/autograd.h>

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

#include "batch_norm_kernels.h"
#include "gear/batch_split.h"
#include "gear/ranks.h"
#include "tracing.h"

namespace gear {
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

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

detail::NormGeometry geometry_of(const torch::Tensor& x) {
  detail::NormGeometry g;
  g.n = x.size(0);
  g.c = x.size(1);
  g.hw = x.size(2) * x.size(3);
  g.channels_last = x.suggest_memory_format() == torch::MemoryFormat::ChannelsLast;
  return g;
}

// Autograd's custom functions take no undefined tensor: an absent weight, bias or residual is
// passed as an empty tensor (a real one has at least one element).
torch::Tensor absent_as_empty(const torch::Tensor& t) {
  return t.defined() ? t : torch::empty({0});
}

torch::Tensor present(const torch::Tensor& t) { return t.numel() > 0 ? t : torch::Tensor(); }

// y = activation(input * scale + shift + residual) per channel in one pass, in the input's
// layout; `scale` and `shift` double [C], `residual` may be undefined.
torch::Tensor affine_pass(const torch::Tensor& input, const torch::Tensor& residual,
                          const torch::Tensor& scale, const torch::Tensor& shift,
                          NormActivation activation) {
  const torch::MemoryFormat format = input.suggest_memory_format();
  const torch::Tensor x = input.contiguous(format);
  torch::Tensor y = torch::empty_like(x, format);
  detail::norm_normalise(x, residual.defined() ? residual.contiguous(format) : residual, y,
                         geometry_of(x), scale, shift, activation);
  return y;
}

void refuse_double_backward() {
  if (torch::GradMode::is_enabled())
    throw std::logic_error(
        "batch_norm: double backward through GEAR's batch norm is not "
        "supported");
}

// The norm (statistics of the whole batch: every worker's share, then every rank's), the residual
// and the activation in one autograd node; see batch_norm_act.
class FusedBatchNorm : public torch::autograd::Function<FusedBatchNorm> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input,
                               const torch::Tensor& weight_in, const torch::Tensor& bias_in,
                               const torch::Tensor& residual_in, torch::nn::BatchNorm2dImpl* norm,
                               BatchSplit* split, int64_t rank, int64_t activation_code) {
    // Absent tensors arrive as empty ones (see present()).
    const torch::Tensor weight = present(weight_in), bias = present(bias_in);
    const torch::Tensor residual = present(residual_in);
    const auto activation = static_cast<NormActivation>(activation_code);
    const torch::MemoryFormat format = input.suggest_memory_format();
    // Under mixed precision (bf16 or fp16 autocast) the statistics and the normalisation are
    // computed in float32, as autocast runs torch's own batch norm, and the output is cast back.
    const bool low = input.scalar_type() != torch::kFloat && input.scalar_type() != torch::kDouble;
    const torch::Tensor x = (low ? input.to(torch::kFloat) : input).contiguous(format);
    const detail::NormGeometry g = geometry_of(x);
    const torch::Tensor local = detail::norm_moments(x, g);
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
    torch::Tensor r;
    if (residual.defined()) r = residual.to(x.scalar_type()).contiguous(format);
    torch::Tensor y = torch::empty_like(x, format);
    detail::norm_normalise(x, r, y, g, scale, shift, activation);
    if (rank == 0 && norm->options.track_running_stats()) update_running_stats(*norm, all);
    // The activation's output (float32 under mixed precision) gives its gradient's mask.
    ctx->save_for_backward({x, weight_in, activation == NormActivation::kIdentity ? x : y});
    ctx->saved_data["mean"] = all.mean;
    ctx->saved_data["invstd"] = invstd;
    ctx->saved_data["count"] = all.count;
    ctx->saved_data["norm"] = reinterpret_cast<int64_t>(norm);
    ctx->saved_data["split"] = reinterpret_cast<int64_t>(split);
    ctx->saved_data["rank"] = rank;
    ctx->saved_data["activation"] = activation_code;
    ctx->saved_data["input_type"] = static_cast<int64_t>(input.scalar_type());
    ctx->saved_data["residual_type"] =
        static_cast<int64_t>(residual.defined() ? residual.scalar_type() : input.scalar_type());
    if (!low) return y;
    // A new tensor, not a view of the saved one, so the caller may change it in place.
    return y.to(input.scalar_type());
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    refuse_double_backward();
    auto saved = ctx->get_saved_variables();
    const torch::Tensor x = saved[0], weight = present(saved[1]), y = saved[2];
    const torch::MemoryFormat format = x.suggest_memory_format();
    const torch::Tensor dy = grads[0].to(x.scalar_type()).contiguous(format);
    const auto activation = static_cast<NormActivation>(ctx->saved_data["activation"].toInt());
    const auto input_type = static_cast<torch::ScalarType>(ctx->saved_data["input_type"].toInt());
    const auto residual_type =
        static_cast<torch::ScalarType>(ctx->saved_data["residual_type"].toInt());
    torch::Tensor mean = ctx->saved_data["mean"].toTensor();
    torch::Tensor invstd = ctx->saved_data["invstd"].toTensor();
    const double count = ctx->saved_data["count"].toDouble();
    auto* norm = reinterpret_cast<torch::nn::BatchNorm2dImpl*>(ctx->saved_data["norm"].toInt());
    auto* split = reinterpret_cast<BatchSplit*>(ctx->saved_data["split"].toInt());
    const int rank = static_cast<int>(ctx->saved_data["rank"].toInt());
    const detail::NormGeometry g = geometry_of(x);

    const bool masked = activation != NormActivation::kIdentity;
    torch::Tensor dz = masked ? torch::empty_like(x, format) : dy;
    const torch::Tensor local =
        detail::norm_grad_sums(x, y, dy, masked ? dz : torch::Tensor(), g, mean, activation);
    // The second tag keeps backward's rendezvous apart from forward's for the same layer.
    torch::Tensor total = split ? sum_parts(split->all_gather(rank, local, &norm->options)) : local;
    total = across_ranks(split, rank, total, &norm->running_var, sum_parts);
    torch::Tensor sum_dy = total[0], sum_dy_xmu = total[1];

    torch::Tensor k = weight.defined() ? invstd * weight.to(torch::kDouble) : invstd;
    torch::Tensor proj = invstd * invstd * sum_dy_xmu / count;
    torch::Tensor c1 = k.contiguous(), c2 = (-k * proj).contiguous();
    torch::Tensor c3 = (k * (mean * proj - sum_dy / count)).contiguous();
    torch::Tensor dx = torch::empty_like(x, format);
    detail::norm_grad_input(x, dz, dx, g, c1, c2, c3);
    // Parameter gradients are this share's; the host adds the workers' gradients.
    torch::Tensor grad_weight, grad_bias, grad_residual;
    if (weight.defined() && ctx->needs_input_grad(1))
      grad_weight = (local[1] * invstd).to(weight.scalar_type());
    if (ctx->needs_input_grad(2)) grad_bias = local[0].to(x.scalar_type());
    if (ctx->needs_input_grad(3)) grad_residual = dz.to(residual_type);
    return {dx.to(input_type), grad_weight,     grad_bias,       grad_residual,
            torch::Tensor(),   torch::Tensor(), torch::Tensor(), torch::Tensor()};
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

// Evaluation mode with a gradient into the input or the residual but none into the norm's
// parameters (a candidate or scoring pass through a frozen net): the norm is then an affine map
// per channel, so the forward is one pass and the backward one masked scale. Saves only the
// output, which gives the activation's mask.
class EvaluationBatchNorm : public torch::autograd::Function<EvaluationBatchNorm> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input,
                               const torch::Tensor& residual_in, const torch::Tensor& scale,
                               const torch::Tensor& shift, int64_t activation_code) {
    const auto activation = static_cast<NormActivation>(activation_code);
    torch::Tensor y = affine_pass(input, present(residual_in), scale, shift, activation);
    ctx->save_for_backward({activation == NormActivation::kIdentity ? torch::Tensor() : y});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["activation"] = activation_code;
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    refuse_double_backward();
    const torch::Tensor y = ctx->get_saved_variables()[0];
    const auto activation = static_cast<NormActivation>(ctx->saved_data["activation"].toInt());
    const torch::Tensor scale = ctx->saved_data["scale"].toTensor();
    const torch::MemoryFormat format =
        y.defined() ? y.suggest_memory_format() : grads[0].suggest_memory_format();
    const torch::Tensor dy = grads[0].contiguous(format);
    const bool masked = activation != NormActivation::kIdentity;
    const bool residual = ctx->needs_input_grad(1);
    torch::Tensor dz = masked && residual ? torch::empty_like(dy, format) : torch::Tensor();
    torch::Tensor dx = torch::empty_like(dy, format);
    // The identity reads no mask: dy stands in for the output.
    detail::norm_grad_affine(masked ? y : dy, dy, dz, dx, geometry_of(dy), scale, activation);
    torch::Tensor grad_residual;
    if (residual) grad_residual = masked ? dz : dy;
    return {dx, grad_residual, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

std::atomic<bool> fusion_enabled{true};

bool split_path(const torch::Tensor& input) {
  return input.device().is_cpu() && input.dim() == 4 &&
         (input.scalar_type() == torch::kFloat || input.scalar_type() == torch::kDouble ||
          input.scalar_type() == torch::kBFloat16 || input.scalar_type() == torch::kHalf);
}

// FusedBatchNorm for `norm` in the calling thread's batch split (if any).
torch::Tensor fused(torch::nn::BatchNorm2dImpl& norm, const torch::Tensor& input,
                    const torch::Tensor& residual, NormActivation activation) {
  const BatchSplitMember* member = current_batch_split();
  const bool split = member && member->split->workers() > 1;
  return FusedBatchNorm::apply(input, absent_as_empty(norm.weight), absent_as_empty(norm.bias),
                               absent_as_empty(residual), &norm, split ? member->split : nullptr,
                               split ? static_cast<int64_t>(member->rank) : 0,
                               static_cast<int64_t>(activation));
}

// Whether an evaluation-mode batch_norm_act can be one pass: the norm is then an affine map per
// channel from the running statistics, and nothing asks autograd for a gradient through it.
bool evaluation_fusable(const torch::nn::BatchNorm2dImpl& norm, const torch::Tensor& input,
                        const torch::Tensor& residual) {
  if (norm.is_training() || !norm.options.track_running_stats() || detail::tracing() ||
      !input.device().is_cpu() || input.dim() != 4 ||
      (input.scalar_type() != torch::kFloat && input.scalar_type() != torch::kDouble))
    return false;
  if (residual.defined() &&
      (residual.scalar_type() != input.scalar_type() || residual.device() != input.device()))
    return false;
  if (!torch::GradMode::is_enabled()) return true;
  // A gradient into the input or the residual is EvaluationBatchNorm's; one into the norm's
  // parameters needs torch's norm.
  const auto needs_grad = [](const torch::Tensor& t) { return t.defined() && t.requires_grad(); };
  return !needs_grad(norm.weight) && !needs_grad(norm.bias);
}

// activation(norm(input) + residual) in evaluation mode, in one pass over the data; with a
// gradient into the input or the residual, through EvaluationBatchNorm.
torch::Tensor evaluation_fused(const torch::nn::BatchNorm2dImpl& norm, const torch::Tensor& input,
                               const torch::Tensor& residual, NormActivation activation) {
  torch::Tensor scale, shift;
  {
    torch::NoGradGuard no_grad;
    scale = (norm.running_var.to(torch::kDouble) + norm.options.eps()).rsqrt();
    if (norm.weight.defined()) scale *= norm.weight.to(torch::kDouble);
    shift = -norm.running_mean.to(torch::kDouble) * scale;
    if (norm.bias.defined()) shift += norm.bias.to(torch::kDouble);
    scale = scale.contiguous();
    shift = shift.contiguous();
  }
  const bool needs_grad =
      torch::GradMode::is_enabled() &&
      (input.requires_grad() || (residual.defined() && residual.requires_grad()));
  if (needs_grad)
    return EvaluationBatchNorm::apply(input, absent_as_empty(residual), scale, shift,
                                      static_cast<int64_t>(activation));
  torch::NoGradGuard no_grad;  // nothing needs one: the output must not record a node
  return affine_pass(input, residual, scale, shift, activation);
}

}  // namespace

void set_norm_fusion(bool enabled) { fusion_enabled.store(enabled, std::memory_order_relaxed); }

bool norm_fusion() noexcept { return fusion_enabled.load(std::memory_order_relaxed); }

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
  return fused(norm, input, torch::Tensor(), NormActivation::kIdentity);
}

torch::Tensor batch_norm_act(torch::nn::BatchNorm2dImpl& norm, const torch::Tensor& input,
                             NormActivation activation, const torch::Tensor& residual,
                             const GroupTap& tap) {
  if (residual.defined() && !residual.sizes().equals(input.sizes()))
    throw std::invalid_argument("batch_norm_act: the residual " + c10::str(residual.sizes()) +
                                " does not match the input " + c10::str(input.sizes()));
  if (norm_fusion() && norm.is_training() && !detail::tracing() && split_path(input) &&
      !tap.observed() && (!residual.defined() || residual.device() == input.device()))
    return fused(norm, input, residual, activation);
  if (norm_fusion() && !tap.observed() && evaluation_fusable(norm, input, residual))
    return evaluation_fused(norm, input, residual, activation);
  torch::Tensor z = batch_norm(norm, input);
  if (residual.defined()) z = z + residual;
  z = tap(z);
  switch (activation) {
    case NormActivation::kIdentity:
      return z;
    case NormActivation::kRelu:
      return z.relu_();
    case NormActivation::kRelu6:
      return z.clamp_(0.0, 6.0);
  }
  throw std::invalid_argument("batch_norm_act: unknown activation");
}

}  // namespace gear
