#pragma once

/// @file
/// Running a net's forward pass at a device profile's precision: bf16/fp16 through LibTorch's
/// autocast, int8 through weights rounded to int8 per output channel.

#include <functional>

#include "gear/device_profile.h"
#include "gear/growable_net.h"

namespace gear::host {

/// Runs `forward` (which calls `net`, borrowed) with the net computing at `precision` on
/// `device`, and restores the net afterwards. kFp16 on a CPU throws std::invalid_argument.
/// kInt8 rounds every weight of two or more dimensions (convolutions, linear layers) to
/// symmetric int8 per output channel for the call, the way dynamic quantization stores them
/// (LibTorch's C++ API has no quantize_dynamic; activations stay float).
void with_precision(GrowableNet& net, Precision precision, const torch::Device& device,
                    const std::function<void()>& forward);

/// Autocast at `dtype` (kBFloat16, or kHalf on CUDA) on `device` for the calling thread until
/// destroyed (autocast state is per thread: each worker of a batch split makes its own); off,
/// with its cast cache cleared, however the scope ends.
class AutocastScope {
 public:
  AutocastScope(const torch::Device& device, at::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  torch::Device device_;
};

/// Whether training at `precision` runs its forward pass under autocast (kBf16, kFp16).
inline bool uses_autocast(Precision precision) {
  return precision == Precision::kBf16 || precision == Precision::kFp16;
}

/// The autocast dtype of a training precision: kBFloat16 for kBf16, kHalf for kFp16; throws
/// std::invalid_argument for the others (fp32 trains without autocast; int8 is inference only).
at::ScalarType autocast_dtype(Precision precision);

/// `weight` rounded to symmetric int8 per output channel (dimension 0) and scaled back:
/// round(w / s).clamp(-127, 127) * s with s = max|w| / 127 over each output channel.
torch::Tensor int8_per_channel(const torch::Tensor& weight);

}  // namespace gear::host
