#pragma once

/// @file
/// Device profiles: how a device captures, processes and runs an image, emulated so that the
/// instability of a net's predictions across devices can be measured and trained away. A profile
/// is a seeded composition of steps (a codec, an ISP operation, sensor noise, geometry) plus the
/// precision the device runs the net at. Steps are plugins of kind `device_step`; the host
/// composes the pipeline's `[[device]]` tables (or its built-in bank of phone-like profiles) into
/// a DeviceBank that evaluators and training objectives reach.

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "gear/component_kind.h"

namespace gear {

/// The arithmetic a device runs the net's forward pass in.
enum class Precision {
  kFp32,  ///< float32, the reference
  kBf16,  ///< bfloat16 autocast (CPUs with bf16 support, CUDA)
  kFp16,  ///< float16 autocast (CUDA only)
  kInt8,  ///< int8 weights, symmetric per output channel, as dynamic quantization stores them
};

/// "fp32", "bf16", "fp16", "int8": the names pipelines use.
inline const char* to_string(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp16:
      return "fp16";
    case Precision::kInt8:
      return "int8";
    case Precision::kFp32:
      break;
  }
  return "fp32";
}

/// The precision named `name` ("fp32", "bf16", "fp16", "int8"), or nullopt.
inline std::optional<Precision> precision_from_string(const std::string& name) {
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kFp16, Precision::kInt8})
    if (name == to_string(p)) return p;
  return std::nullopt;
}

/// One step of a device's capture and processing pipeline. Created once per `[[device.step]]`
/// table from its options; called from the host's data thread and from evaluators, possibly for
/// several batches at once, so apply() must keep no state between calls and draw every random
/// number from its generator.
class DeviceStep {
 public:
  virtual ~DeviceStep() = default;
  /// Processes uint8 images [N, C, H, W] (borrowed, on any device; C is 1 or 3) and returns new
  /// uint8 images [N, output_channels(C), H, W]: a step that resamples or crops maps back to
  /// H x W, so that every profile's output feeds the same net. Random draws come from
  /// `generator` (borrowed, on the images' device type), one stream per batch: the same seed
  /// gives the same images however the host splits the work. Throws std::invalid_argument for
  /// images it cannot take.
  virtual torch::Tensor apply(const torch::Tensor& images, torch::Generator& generator) = 0;
  /// How many channels apply() returns for `channels` input channels (1 or 3). The host checks
  /// each profile against the net's input before the run starts. Default: unchanged.
  virtual int64_t output_channels(int64_t channels) const { return channels; }
  /// Whether apply() returns its input unchanged, always (a lossless codec such as PNG): a
  /// profile of only such steps is a reference against which instability is measured.
  virtual bool lossless() const { return false; }
};

/// The device profiles of a pipeline, owned by the host and alive for the whole run.
class DeviceBank {
 public:
  virtual ~DeviceBank() = default;
  /// Number of profiles K (at least 1).
  virtual int64_t size() const = 0;
  /// Name of profile `k` in [0, size()), as written in the pipeline ("budget_android").
  virtual std::string name(int64_t k) const = 0;
  /// Index of the profile named `name`, or -1.
  virtual int64_t find(const std::string& name) const = 0;
  /// The precision profile `k` runs the net at.
  virtual Precision precision(int64_t k) const = 0;
  /// Whether profile `k` changes no pixel (no step, or only lossless ones): the reference
  /// against which instability is measured.
  virtual bool lossless(int64_t k) const = 0;
  /// Whether profile `k` is a canonicaliser rather than a device (its table says
  /// `canonical = true`): the fixed re-encoding that test-time canonicalisation applies to every
  /// input before inference. Canonicalisers are left out of the devices that instability is
  /// measured over and that device views are drawn from, unless named explicitly.
  virtual bool canonical(int64_t k) const = 0;
  /// Runs profile `k`'s steps in order on uint8 images [N, C, H, W] (borrowed) and returns
  /// uint8 [N, C, H, W]. `generator` (borrowed) seeds every draw. Errors name the profile, the
  /// step and the plugin.
  virtual torch::Tensor apply(int64_t k, const torch::Tensor& images,
                              torch::Generator& generator) const = 0;
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::DeviceStep, "device_step",
                    "one step of a device profile, in a pipeline's [[device.step]] tables");
