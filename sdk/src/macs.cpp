// MAC counting: convolutions are observed through ATen's RecordFunction (their output size depends
// on the input the architecture's forward() gives them); Linear layers are counted from their
// weights, since each is applied once per sample in every GEAR architecture.

#include <ATen/record_function.h>
#include <torch/nn/modules/linear.h>
#include <torch/utils.h>

#include <stdexcept>

#include "gear/growable_net.h"

namespace gear {
namespace {

thread_local int64_t tl_conv_macs = 0;
thread_local int64_t tl_conv_calls = 0;

int64_t output_extent(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

std::unique_ptr<at::ObserverContext> on_op(const at::RecordFunction& fn) {
  if (std::string(fn.name()) != "aten::_convolution") return nullptr;
  auto inputs = fn.inputs();
  if (inputs.size() < 9 || !inputs[0].isTensor() || !inputs[1].isTensor()) return nullptr;
  const auto& input = inputs[0].toTensor();
  const auto& weight = inputs[1].toTensor();
  auto stride = inputs[3].toIntVector();
  auto padding = inputs[4].toIntVector();
  auto dilation = inputs[5].toIntVector();
  int64_t outputs = weight.size(0) * input.size(0);
  for (int64_t d = 2; d < input.dim(); ++d) {
    size_t i = static_cast<size_t>(d - 2);
    outputs *= output_extent(input.size(d), weight.size(d), stride[std::min(i, stride.size() - 1)],
                             padding[std::min(i, padding.size() - 1)],
                             dilation[std::min(i, dilation.size() - 1)]);
  }
  // weight is [out, in/groups, k...]: each output element needs in/groups * k... products.
  tl_conv_macs += outputs * (weight.numel() / weight.size(0));
  ++tl_conv_calls;
  return nullptr;
}

}  // namespace

int64_t GrowableNet::macs(const std::vector<int64_t>& sample_shape) {
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  int64_t conv_modules = 0;
  int64_t linear_macs = 0;
  for (const auto& module : modules(/*include_self=*/false)) {
    if (dynamic_cast<torch::nn::Conv2dImpl*>(module.get())) ++conv_modules;
    if (auto* linear = dynamic_cast<torch::nn::LinearImpl*>(module.get()))
      linear_macs += linear->weight.numel();
  }
  torch::Device device = torch::kCPU;
  for (const auto& p : parameters()) {
    device = p.device();
    break;
  }
  const bool was_training = is_training();
  eval();
  tl_conv_macs = 0;
  tl_conv_calls = 0;
  at::RecordFunctionCallback callback(&on_op);
  callback.needsInputs(true).scopes({at::RecordScope::FUNCTION});
  auto handle = at::addThreadLocalCallback(callback);
  try {
    torch::NoGradGuard no_grad;
    forward(torch::zeros(shape, torch::TensorOptions().device(device)));
  } catch (...) {
    at::removeCallback(handle);
    train(was_training);
    throw;
  }
  at::removeCallback(handle);
  train(was_training);
  if (conv_modules > 0 && tl_conv_calls == 0)
    throw std::runtime_error("MAC count: no convolution was observed (RecordFunction disabled?)");
  return tl_conv_macs + linear_macs;
}

}  // namespace gear
