// MAC counting: convolutions are observed through ATen's RecordFunction (aten::_convolution, and
// gear::conv2d for GEAR's own kernel), since their output size depends on the input the
// architecture's forward() gives them; Linear layers are counted from their
// weights, since each is applied once per sample in every GEAR architecture. A convolution run on
// a view of its weight counts the whole weight, as the dense definition does.

#include <ATen/record_function.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/utils.h>

#include <stdexcept>

#include "conv_positions.h"
#include "gear/growable_net.h"

namespace gear {
namespace {

thread_local std::vector<detail::ConvCall>* tl_calls = nullptr;

int64_t output_extent(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

std::unique_ptr<at::ObserverContext> on_op(const at::RecordFunction& fn) {
  if (!tl_calls) return nullptr;
  // gear::conv2d's own kernel reports itself with aten::_convolution's first six arguments.
  const std::string name = fn.name();
  if (name != "aten::_convolution" && name != "gear::conv2d") return nullptr;
  auto inputs = fn.inputs();
  if (inputs.size() < 6 || !inputs[0].isTensor() || !inputs[1].isTensor()) return nullptr;
  const auto& input = inputs[0].toTensor();
  const auto& called = inputs[1].toTensor();
  // A weight that is a view of a net's tensor (VGG's centre taps on 1x1 planes) counts as that
  // tensor: the MACs are the convolution's as defined, and cost models map the call to it.
  const at::TensorBase& weight =
      called.is_view() ? called._base() : static_cast<const at::TensorBase&>(called);
  auto stride = inputs[3].toIntVector();
  auto padding = inputs[4].toIntVector();
  auto dilation = inputs[5].toIntVector();
  int64_t positions = input.size(0);
  for (int64_t d = 2; d < input.dim(); ++d) {
    size_t i = static_cast<size_t>(d - 2);
    positions *= output_extent(
        input.size(d), called.size(d), stride[std::min(i, stride.size() - 1)],
        padding[std::min(i, padding.size() - 1)], dilation[std::min(i, dilation.size() - 1)]);
  }
  tl_calls->push_back({weight.unsafeGetTensorImpl(), weight.numel(), positions});
  return nullptr;
}

}  // namespace

namespace detail {

std::vector<ConvCall> observe_convolutions(GrowableNet& net,
                                           const std::vector<int64_t>& sample_shape) {
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  int64_t conv_modules = 0;
  for (const auto& module : net.modules(/*include_self=*/false))
    if (dynamic_cast<torch::nn::Conv2dImpl*>(module.get())) ++conv_modules;
  // The probe matches the net's device and dtype (a net moved to double counts as well).
  torch::TensorOptions probe;
  for (const auto& p : net.parameters()) {
    probe = probe.device(p.device()).dtype(p.scalar_type());
    break;
  }
  std::vector<ConvCall> calls;
  const bool was_training = net.is_training();
  net.eval();
  tl_calls = &calls;
  at::RecordFunctionCallback callback(&on_op);
  callback.needsInputs(true).scopes({at::RecordScope::FUNCTION});
  auto handle = at::addThreadLocalCallback(callback);
  struct Restore {
    GrowableNet& net;
    bool was_training;
    at::CallbackHandle handle;
    ~Restore() {
      at::removeCallback(handle);
      tl_calls = nullptr;
      net.train(was_training);
    }
  } restore{net, was_training, handle};
  {
    torch::NoGradGuard no_grad;
    net.forward(torch::zeros(shape, probe));
  }
  if (conv_modules > 0 && calls.empty())
    throw std::runtime_error("MAC count: no convolution was observed (RecordFunction disabled?)");
  return calls;
}

}  // namespace detail

int64_t GrowableNet::macs(const std::vector<int64_t>& sample_shape) {
  int64_t total = 0;
  for (const auto& module : modules(/*include_self=*/false))
    if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(module.get()))
      total += linear->weight.numel();
  // Each output position of a conv needs in/groups * k * k products per output channel: the
  // weight's entries.
  for (const detail::ConvCall& call : detail::observe_convolutions(*this, sample_shape))
    total += call.positions * call.weight_numel;
  return total;
}

}  // namespace gear
