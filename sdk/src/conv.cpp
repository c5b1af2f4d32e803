#include "gear/conv.h"

#include <ATen/autocast_mode.h>
#include <ATen/record_function.h>
#include <torch/autograd.h>
#include <torch/version.h>

#include <atomic>
#include <variant>
#include <vector>

#include "conv_kernels.h"
#include "tracing.h"

namespace gear {
namespace {

std::atomic<bool> kernels_enabled{true};

// A 3x3 kernel with padding 1, stride 1, dilation 1, one group and zero padding: a "same"
// convolution whose outer taps read padding at every border pixel.
bool is_same_3x3(const torch::nn::detail::ConvNdOptions<2>& o) {
  // LibTorch 1.13's option variants are c10::variant, 2.x's std::variant: unqualified calls,
  // with std's templates in scope, find either by argument-dependent lookup.
  using std::get_if;
  using std::holds_alternative;
  const auto* padding = get_if<torch::ExpandingArray<2>>(&o.padding());
  auto all = [](const torch::ExpandingArray<2>& a, int64_t v) {
    return a->at(0) == v && a->at(1) == v;
  };
  return padding && all(*padding, 1) && all(o.kernel_size(), 3) && all(o.stride(), 1) &&
         all(o.dilation(), 1) && o.groups() == 1 && !o.transposed() &&
         holds_alternative<torch::enumtype::kZeros>(o.padding_mode());
}

// Whether CPU autocast (mixed precision) is on: it casts a convolution's operands, so LibTorch's
// convolution must run. LibTorch 2.4 replaced the per-device query by one taking the device.
bool cpu_autocast() {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  return at::autocast::is_autocast_enabled(at::kCPU);
#else
  return at::autocast::is_cpu_enabled();
#endif
}

// The weight's shape is checked too: after channel surgery the options may not describe it, and a
// mismatch must reach LibTorch's shape error rather than the kernel.
bool has_own_kernel(const torch::Tensor& input, const torch::Tensor& weight,
                    const torch::Tensor& bias) {
  const auto type = input.scalar_type();
  return conv_kernels() && !cpu_autocast() && !detail::tracing() && input.device().is_cpu() &&
         input.dim() == 4 && input.size(1) == 1 && input.numel() > 0 &&
         (type == torch::kFloat || type == torch::kDouble) && weight.scalar_type() == type &&
         weight.device().is_cpu() && weight.dim() == 4 && weight.size(1) == 1 &&
         weight.size(2) == 3 && weight.size(3) == 3 &&
         (!bias.defined() || bias.scalar_type() == type) && !input.requires_grad() &&
         input.is_contiguous() && input.suggest_memory_format() == at::MemoryFormat::Contiguous &&
         weight.suggest_memory_format() == at::MemoryFormat::Contiguous;
}

class OneChannelConv3x3 : public torch::autograd::Function<OneChannelConv3x3> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& input,
                               const torch::Tensor& weight,
                               const c10::optional<torch::Tensor>& bias) {
    ctx->save_for_backward({input, weight});
    ctx->saved_data["has_bias"] = bias.has_value();
    return detail::one_channel_conv(input, weight.contiguous(),
                                    bias ? bias->contiguous() : torch::Tensor());
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& input = saved[0];
    const torch::Tensor& weight = saved[1];
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    const bool want_weight = ctx->needs_input_grad(1),
               want_bias = has_bias && ctx->needs_input_grad(2);
    torch::Tensor grad = grads[0].contiguous();
    if (torch::GradMode::is_enabled()) {
      // create_graph: LibTorch's differentiable convolution backward.
      std::vector<int64_t> bias_sizes = {weight.size(0)};
      auto [unused, grad_weight, grad_bias] = at::convolution_backward(
          grad, input, weight, has_bias ? c10::OptionalIntArrayRef(bias_sizes) : c10::nullopt,
          {1, 1}, {1, 1}, {1, 1}, false, {0, 0}, 1, {false, want_weight, want_bias});
      return {torch::Tensor(), grad_weight, grad_bias};
    }
    torch::Tensor grad_weight =
        want_weight ? detail::one_channel_conv_weight_grad(input, grad) : torch::Tensor();
    torch::Tensor grad_bias = want_bias ? grad.sum({0, 2, 3}) : torch::Tensor();
    return {torch::Tensor(), grad_weight, grad_bias};
  }
};

// Reports the call to RecordFunction observers (GrowableNet::macs counts convolutions from
// them) with aten::_convolution's first six arguments, since no aten convolution runs.
torch::Tensor recorded_one_channel_conv(const torch::Tensor& input, const torch::Tensor& weight,
                                        const torch::Tensor& bias) {
  at::RecordFunction guard(at::RecordScope::FUNCTION);
  if (guard.isActive()) {
    if (guard.needsInputs()) {
      const std::vector<c10::IValue> args = {input,
                                             weight,
                                             bias,
                                             std::vector<int64_t>{1, 1},
                                             std::vector<int64_t>{1, 1},
                                             std::vector<int64_t>{1, 1}};
      guard.before("gear::conv2d", c10::ArrayRef<const c10::IValue>(args.data(), args.size()));
    } else {
      guard.before("gear::conv2d");
    }
  }
  // An absent bias goes in as an empty optional: autograd takes every Tensor argument for a
  // variable, and an undefined one has no device.
  return OneChannelConv3x3::apply(
      input, weight, bias.defined() ? c10::optional<torch::Tensor>(bias) : c10::nullopt);
}

}  // namespace

torch::Tensor conv2d(torch::nn::Conv2dImpl& conv, const torch::Tensor& input) {
  if (input.dim() == 4 && is_same_3x3(conv.options)) {
    if (has_own_kernel(input, conv.weight, conv.bias))
      return recorded_one_channel_conv(input, conv.weight, conv.bias);
    // On a 1x1 plane the eight outer taps only see padding, yet oneDNN runs the 3x3 layer about
    // 2.7x slower than the 1x1 convolution of the centre taps (VGG-11's last layers at 28 px).
    if (input.size(2) == 1 && input.size(3) == 1)
      return torch::conv2d(input, conv.weight.narrow(2, 1, 1).narrow(3, 1, 1), conv.bias);
  }
  return conv.forward(input);
}

void set_conv_kernels(bool enabled) { kernels_enabled.store(enabled, std::memory_order_relaxed); }

bool conv_kernels() noexcept { return kernels_enabled.load(std::memory_order_relaxed); }

}  // namespace gear
