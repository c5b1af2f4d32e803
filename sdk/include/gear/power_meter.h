#pragma once

/// @file
/// Power meters: what a run's training and inference cost in energy, read from the device's own
/// sensors (Linux powercap RAPL counters, NVIDIA's NVML, a Jetson's INA3221 rails) or, where
/// there is none, estimated from CPU utilisation. Meters are plugins of kind `power_meter`; the
/// host samples the one a pipeline names (`[meter] plugin`) on a background thread and
/// integrates energy per epoch and per stage.

#include <string>
#include <vector>

#include "gear/component_kind.h"

namespace gear {

/// One energy domain a meter reads: a RAPL package or DRAM zone, a GPU, a Jetson rail.
struct PowerDomain {
  /// Name as the hardware gives it ("package-0", "dram-0", "gpu-0", "VDD_IN").
  std::string name;
  /// Whether the domain's energy adds into the run's total. False for a domain that another
  /// one already contains (a Jetson's CPU rail inside VDD_IN, a RAPL psys zone).
  bool in_total = true;
};

/// What a meter found when it opened its sensors.
struct MeterInfo {
  /// The domains sample() reports, in its order. Never empty after a successful open().
  std::vector<PowerDomain> domains;
  /// Where the readings come from ("/sys/class/powercap", "libnvidia-ml.so.1", a tegrastats
  /// log, "/proc/stat"), for env.json.
  std::string source;
  /// How energy is obtained: "energy counter", "power sampling" or an estimate's formula.
  std::string method;
  /// True when the figures are not measured but estimated: every output then says so.
  bool estimate = false;
  /// Problems that did not stop the meter (a domain whose file cannot be read), each a whole
  /// sentence naming the file; the host logs them and records them in env.json.
  std::vector<std::string> warnings;
};

/// A source of cumulative energy readings. The host calls open() once, then sample() from one
/// background thread at the meter's period (and at epoch and stage boundaries, under the same
/// lock), so an implementation needs no locking of its own. Counters that wrap around must be
/// unwrapped by the meter, which the period (default 100 ms) makes possible for any counter
/// that takes longer than one period to wrap.
class PowerMeter {
 public:
  virtual ~PowerMeter() = default;

  /// Opens the sensors. Throws std::runtime_error naming what it tried (files, library) when
  /// no domain can be read: the host then falls back to the `estimate` meter with a warning.
  virtual MeterInfo open() = 0;

  /// Energy in joules per domain (in MeterInfo::domains order) consumed since open(), at
  /// `seconds` since open() on a monotonic clock (supplied by the host so that power-sampling
  /// meters can integrate, and so tests can drive time). Calls come with non-decreasing
  /// `seconds`. A domain that stops being readable keeps its last value; throws only on a
  /// programming error.
  virtual std::vector<double> sample(double seconds) = 0;
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::PowerMeter, "power_meter",
                    "energy readings of the device (RAPL, NVML, Jetson rails, or an estimate)");
