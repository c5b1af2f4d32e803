#pragma once

/// @file
/// NVIDIA GPUs through NVML, loaded at run time so that building needs no CUDA.

#include <gear/config.h>
#include <gear/options.h>
#include <gear/power_meter.h>

#include <memory>
#include <string>
#include <vector>

#include "meter_support.h"

namespace gear::plugins::meters {

/// The NVML meter's own options.
struct NvmlOptions {
  /// The library dlopen() loads. A name without '/' goes through the loader's search path; a
  /// path is taken under the meter's root.
  std::string library = "libnvidia-ml.so.1";
};

/// One domain per GPU ("gpu-<i>", in NVML's index order). Where
/// nvmlDeviceGetTotalEnergyConsumption succeeds (Volta and later) the meter reads that
/// millijoule counter; otherwise it samples nvmlDeviceGetPowerUsage (milliwatts) and integrates
/// by the trapezoid rule over the times the host passes, from a reading taken at open().
class NvmlMeter final : public PowerMeter {
 public:
  /// NVML's own options (`library`).
  static const OptionBinder<NvmlOptions>& binder();
  /// `root` and `library`.
  static OptionSchema schema();

  /// Reads the options from `options` (borrowed for the call).
  explicit NvmlMeter(const Config& options);
  /// Loads `options.library` (under `root` when it is a path).
  NvmlMeter(std::string root, NvmlOptions options);
  /// Shuts NVML down and unloads it.
  ~NvmlMeter() override;
  NvmlMeter(const NvmlMeter&) = delete;
  NvmlMeter& operator=(const NvmlMeter&) = delete;

  /// Loads the library, initialises NVML and picks each GPU's path. Throws std::runtime_error
  /// with dlerror()'s text when the library cannot be loaded, and when NVML fails to initialise
  /// or reports no GPU that can be read.
  MeterInfo open() override;
  /// Joules per GPU since open().
  std::vector<double> sample(double seconds) override;

 private:
  struct Api;
  struct Gpu {
    void* device = nullptr;
    bool counter = false;
    /// Counter path: the millijoules at open() and the joules last read.
    unsigned long long base_mj = 0;
    double joules = 0.0;
    /// Power path.
    TrapezoidIntegrator power;
  };

  /// Shuts NVML down and unloads the library, if loaded.
  void close();

  std::string root_;
  NvmlOptions options_;
  void* handle_ = nullptr;
  bool initialised_ = false;
  std::unique_ptr<Api> api_;
  std::vector<Gpu> gpus_;
};

}  // namespace gear::plugins::meters
