#pragma once

/// @file
/// An energy estimate from CPU time, for machines without a power sensor.

#include <gear/config.h>
#include <gear/options.h>
#include <gear/power_meter.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "meter_support.h"

namespace gear::plugins::meters {

/// The estimate's own options.
struct EstimateOptions {
  /// Clock ticks per second of /proc/stat (USER_HZ, 100 on every mainstream Linux).
  int64_t hz = 100;
  /// Watts one fully busy core adds over idle. 10 W is an order of magnitude, not a
  /// measurement: about a desktop or server x86 core's share of its package's power under load
  /// (65-250 W over 6-32 cores); a phone or Jetson core is nearer 1 W.
  double watts_per_core = 10.0;
  /// Watts the machine draws whatever it does, added for every second since open().
  double idle_watts = 0.0;
};

/// Busy CPU time times a power per core. From two readings of <root>/proc/stat, busy
/// core-seconds = the increase of user + nice + system + irq + softirq + steal of the aggregate
/// `cpu` line (the sum of the `cpuN` lines, which stand in for it when it is missing) over `hz`;
/// guest time is already inside user and nice. One domain, "cpu-estimate":
///   joules = busy core-seconds x watts_per_core + idle_watts x seconds since open().
class EstimateMeter final : public PowerMeter {
 public:
  /// The estimate's own options (`hz`, `watts_per_core`, `idle_watts`).
  static const OptionBinder<EstimateOptions>& binder();
  /// `root`, `hz`, `watts_per_core` and `idle_watts`.
  static OptionSchema schema();

  /// Reads the options from `options` (borrowed for the call).
  explicit EstimateMeter(const Config& options);
  /// Reads <root>/proc/stat.
  EstimateMeter(std::string root, EstimateOptions options);

  /// Takes the first reading. Throws std::runtime_error naming the file when it cannot be read
  /// or holds no cpu line.
  MeterInfo open() override;
  /// The estimate at `seconds`; an unreadable /proc/stat keeps the last value.
  std::vector<double> sample(double seconds) override;

  /// The busy jiffies in a /proc/stat text and its number of `cpuN` lines; nullopt when it has
  /// no cpu line.
  struct Busy {
    uint64_t jiffies = 0;
    int cores = 0;
  };
  static std::optional<Busy> parse_proc_stat(const std::string& text);

 private:
  std::filesystem::path file() const;

  std::string root_;
  EstimateOptions options_;
  uint64_t first_jiffies_ = 0;
  uint64_t last_jiffies_ = 0;
  double joules_ = 0.0;
};

}  // namespace gear::plugins::meters
