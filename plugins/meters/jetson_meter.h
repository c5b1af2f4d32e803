#pragma once

/// @file
/// NVIDIA Jetson boards: the INA3221 power monitor's rails, from sysfs or a tegrastats log.

#include <gear/config.h>
#include <gear/options.h>
#include <gear/power_meter.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meter_support.h"

namespace gear::plugins::meters {

/// The Jetson meter's own options.
struct JetsonOptions {
  /// A tegrastats log (`tegrastats --logfile F`) to read instead of sysfs; empty: sysfs. Taken
  /// as given, not under root: it is the user's file.
  std::string tegrastats;
};

/// One rail of a tegrastats line: its name and its current power in milliwatts.
struct TegrastatsRail {
  std::string name;
  double milliwatts = 0.0;
};

/// Samples the power of every INA3221 rail and integrates it by the trapezoid rule over the
/// times the host passes (from a reading taken at open()). Two sysfs layouts under <root>:
///   - L4T 32 (Nano, TX2, Xavier): /sys/bus/i2c/drivers/ina3221x/<bus>-<addr>/iio:device<k>/
///     rail_name_<c> with in_power<c>_input (mW), or else in_voltage<c>_input (mV) times
///     in_current<c>_input (mA);
///   - L4T 35+ (Orin, mainline hwmon driver): /sys/bus/i2c/drivers/ina3221/<bus>-<addr>/hwmon/
///     hwmon<k>/in<c>_label with in<c>_input (mV) times curr<c>_input (mA).
/// Rails labelled "NC" (not connected) or disabled (in<c>_enable 0) are left out. The board's
/// input rail (VDD_IN, or POM_5V_IN on the Nano) contains every other rail: when it exists it
/// alone has in_total=true; otherwise every rail counts. With `tegrastats`, the rails are those
/// of the log's last complete line instead.
class JetsonMeter final : public PowerMeter {
 public:
  /// The Jetson meter's own options (`tegrastats`).
  static const OptionBinder<JetsonOptions>& binder();
  /// `root` and `tegrastats`.
  static OptionSchema schema();

  /// Reads the options from `options` (borrowed for the call).
  explicit JetsonMeter(const Config& options);
  /// Reads under `root`, or the log `options.tegrastats`.
  JetsonMeter(std::string root, JetsonOptions options);

  /// Finds the rails and takes their first reading. Throws std::runtime_error naming the
  /// folders (or the log) when no rail can be read.
  MeterInfo open() override;
  /// Joules per rail since open().
  std::vector<double> sample(double seconds) override;

  /// The rails of one tegrastats line, in its order: `NAME <mW>/<mW>` (Xavier: "VDD_IN
  /// 4545/4545") and `NAME <mW>mW/<mW>mW` (Orin: "VDD_IN 5012mW/5012mW"), current then average;
  /// the current is returned. RAM, SWAP and other fields do not match.
  static std::vector<TegrastatsRail> parse_tegrastats_line(const std::string& line);

 private:
  struct Rail {
    std::string name;
    /// Milliwatts directly (ina3221x in_power), or millivolts times milliamps over 1000.
    std::filesystem::path power_file, voltage_file, current_file;
    TrapezoidIntegrator energy;
  };

  /// The rail's power in milliwatts, or why it cannot be read.
  static std::optional<double> read_milliwatts(const Rail& rail, std::string* error);
  /// The rails of the log's last complete line, or why there are none.
  std::optional<std::vector<TegrastatsRail>> read_tegrastats(std::string* error) const;
  MeterInfo open_sysfs();
  MeterInfo open_tegrastats();

  std::string root_;
  JetsonOptions options_;
  std::vector<Rail> rails_;
};

}  // namespace gear::plugins::meters
