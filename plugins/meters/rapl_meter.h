#pragma once

/// @file
/// Intel (and AMD, through the same driver) RAPL energy counters, read from Linux powercap.

#include <gear/config.h>
#include <gear/options.h>
#include <gear/power_meter.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "meter_support.h"

namespace gear::plugins::meters {

/// Reads the RAPL zones under <root>/sys/class/powercap: every top-level zone `intel-rapl:N`
/// (its `name`: "package-N", "psys") and the `dram` sub-zones `intel-rapl:N:M` (reported as
/// "dram-N"). Core and uncore sub-zones are left out, since their energy is inside the package's;
/// psys (the whole SoC platform) is reported with in_total=false, since it contains the
/// packages. `intel-rapl-mmio` zones repeat the package through another interface and are left
/// out too. Each zone's `energy_uj` (microjoules) wraps at `max_energy_range_uj`; a reading below
/// the previous one is unwrapped as new - old + max_energy_range_uj.
class RaplMeter final : public PowerMeter {
 public:
  /// `root`.
  static OptionSchema schema();

  /// Reads the options from `options` (borrowed for the call).
  explicit RaplMeter(const Config& options);
  /// Reads under `root`.
  explicit RaplMeter(std::string root);

  /// Finds the zones and reads their first counters. A zone whose energy_uj cannot be read
  /// (root-only since Linux 5.10) is left out with a warning; throws std::runtime_error naming
  /// the powercap folder when no zone can be read.
  MeterInfo open() override;
  /// Joules per zone since open(): the unwrapped microjoule deltas over 1e6.
  std::vector<double> sample(double seconds) override;

  /// The powercap folder this meter reads.
  std::filesystem::path folder() const;

 private:
  struct Zone {
    std::filesystem::path energy_file;
    /// The counter's range, 0 when max_energy_range_uj could not be read (a wrap then counts
    /// from 0: a lower bound).
    uint64_t max_range_uj = 0;
    uint64_t last_uj = 0;
    uint64_t total_uj = 0;
  };

  std::string root_;
  std::vector<Zone> zones_;
};

}  // namespace gear::plugins::meters
