#include "gear/host/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <stdexcept>
#include <vector>

namespace gear::host {
namespace {

// LibTorch 2.4 replaced the per-device autocast setters by ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
void set_autocast(const torch::Device& device, bool enabled, at::ScalarType dtype) {
  at::autocast::set_autocast_dtype(device.type(), dtype);
  at::autocast::set_autocast_enabled(device.type(), enabled);
}
#else
void set_autocast(const torch::Device& device, bool enabled, at::ScalarType dtype) {
  if (device.is_cuda()) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
}
#endif

// The net's weights rounded to int8 for the scope, restored however it ends.
class Int8WeightsScope {
 public:
  explicit Int8WeightsScope(GrowableNet& net) {
    torch::NoGradGuard no_grad;
    for (auto& param : net.parameters()) {
      if (param.dim() < 2) continue;
      saved_.push_back({param, param.detach().clone()});
      param.detach().copy_(int8_per_channel(param.detach()));
    }
  }
  ~Int8WeightsScope() {
    torch::NoGradGuard no_grad;
    for (auto& [param, original] : saved_) param.detach().copy_(original);
  }
  Int8WeightsScope(const Int8WeightsScope&) = delete;
  Int8WeightsScope& operator=(const Int8WeightsScope&) = delete;

 private:
  std::vector<std::pair<torch::Tensor, torch::Tensor>> saved_;
};

}  // namespace

AutocastScope::AutocastScope(const torch::Device& device, at::ScalarType dtype) : device_(device) {
  set_autocast(device_, true, dtype);
}

AutocastScope::~AutocastScope() {
  set_autocast(device_, false, device_.is_cuda() ? at::kHalf : at::kBFloat16);
  at::autocast::clear_cache();
}

at::ScalarType autocast_dtype(Precision precision) {
  if (precision == Precision::kBf16) return at::kBFloat16;
  if (precision == Precision::kFp16) return at::kHalf;
  throw std::invalid_argument(std::string("no autocast dtype for ") + to_string(precision));
}

torch::Tensor int8_per_channel(const torch::Tensor& weight) {
  torch::Tensor flat = weight.reshape({weight.size(0), -1});
  torch::Tensor scale = flat.abs().amax(1, true).clamp_min(1e-12) / 127.0;
  return (flat / scale).round().clamp(-127, 127).mul(scale).reshape(weight.sizes());
}

void with_precision(GrowableNet& net, Precision precision, const torch::Device& device,
                    const std::function<void()>& forward) {
  switch (precision) {
    case Precision::kFp32:
      forward();
      return;
    case Precision::kBf16: {
      AutocastScope scope(device, at::kBFloat16);
      forward();
      return;
    }
    case Precision::kFp16: {
      if (!device.is_cuda())
        throw std::invalid_argument("fp16 inference needs a CUDA device; this one is " +
                                    device.str());
      AutocastScope scope(device, at::kHalf);
      forward();
      return;
    }
    case Precision::kInt8: {
      Int8WeightsScope scope(net);
      forward();
      return;
    }
  }
}

}  // namespace gear::host
