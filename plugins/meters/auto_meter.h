#pragma once

/// @file
/// The meter that picks the best sensor the machine has.

#include <gear/config.h>
#include <gear/options.h>
#include <gear/power_meter.h>

#include <memory>
#include <string>
#include <vector>

#include "estimate_meter.h"
#include "jetson_meter.h"
#include "meter_support.h"
#include "nvml_meter.h"

namespace gear::plugins::meters {

/// The options of every meter `auto` may pick (root is shared).
struct AutoOptions {
  std::string root = "/";
  JetsonOptions jetson;
  NvmlOptions nvml;
  EstimateOptions estimate;
};

/// Tries jetson, nvml and rapl in that order, with the same root and options, and uses the first
/// whose open() succeeds; when none does, the CPU-time estimate. Its MeterInfo is the chosen
/// meter's, with the method prefixed by the meter's name ("rapl: energy counter") and a warning
/// before the chosen one's own for each meter skipped, saying why.
class AutoMeter final : public PowerMeter {
 public:
  /// The union of the meters' options: root, tegrastats, library, hz, watts_per_core,
  /// idle_watts.
  static OptionSchema schema();

  /// Reads the options from `options` (borrowed for the call).
  explicit AutoMeter(const Config& options);
  /// `options` is copied.
  explicit AutoMeter(AutoOptions options);

  /// Opens the first meter that works. Throws std::runtime_error only when the estimate fails
  /// too (no <root>/proc/stat), with every reason.
  MeterInfo open() override;
  /// The chosen meter's sample().
  std::vector<double> sample(double seconds) override;

  /// The name of the chosen meter ("jetson", "nvml", "rapl", "estimate"); empty before open().
  const std::string& chosen() const { return chosen_; }

 private:
  AutoOptions options_;
  std::unique_ptr<PowerMeter> meter_;
  std::string chosen_;
};

}  // namespace gear::plugins::meters
