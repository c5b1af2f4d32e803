#pragma once

/// @file
/// A run's power meter, sampled on a background thread: readings at epoch and stage boundaries
/// give the energy of each. Falls back to the `estimate` meter (with a warning) when the chosen
/// meter cannot read its sensors, and to no meter at all when even that fails: metering never
/// stops a run.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gear/host/pipeline.h"
#include "gear/host/registry.h"
#include "gear/power_meter.h"

namespace gear::host {

/// Cumulative energy at one moment.
struct EnergyReading {
  double seconds = 0.0;        ///< since the meter opened
  std::vector<double> joules;  ///< per domain, in MeterInfo::domains order
};

/// The energy, time and mean power between two readings of one meter.
struct EnergySpan {
  double seconds = 0.0;
  double total_joules = 0.0;  ///< sum over the domains that count in the total
  std::vector<double> joules;
  double mean_watts() const { return seconds > 0.0 ? total_joules / seconds : 0.0; }
};

/// `to - from`, domain by domain; the total adds the domains marked in_total.
EnergySpan energy_between(const EnergyReading& from, const EnergyReading& to,
                          const MeterInfo& info);

/// Owns one opened meter and its sampling thread.
class EnergyMonitor {
 public:
  /// Opens the pipeline's [meter]; null for plugin "none" or when no meter can be opened. The
  /// registry is borrowed for the call.
  static std::unique_ptr<EnergyMonitor> open(const Pipeline& pipeline, const Registry& registry);

  /// Takes over an opened `meter` named `name`, described by `info`, and samples it every
  /// `period` until destroyed.
  EnergyMonitor(std::shared_ptr<PowerMeter> meter, std::string name, MeterInfo info,
                std::chrono::duration<double> period);
  ~EnergyMonitor();
  EnergyMonitor(const EnergyMonitor&) = delete;
  EnergyMonitor& operator=(const EnergyMonitor&) = delete;

  /// Samples now (under the sampling thread's lock) and returns the cumulative reading.
  EnergyReading read();
  const MeterInfo& info() const { return info_; }
  /// The meter actually used (after any fallback).
  const std::string& name() const { return name_; }
  /// What env.json and summary.json record: name, estimate, method, source, domains,
  /// period_ms, warnings.
  nlohmann::json describe() const;
  /// A stage record's or metrics row's energy fields for `span`: energy_joules,
  /// energy_estimated, mean_power_watts and (with `per_domain`) energy {domain: joules}.
  nlohmann::json fields(const EnergySpan& span, bool per_domain) const;

 private:
  void sample_locked();
  void loop();

  std::shared_ptr<PowerMeter> meter_;
  std::string name_;
  MeterInfo info_;
  std::chrono::duration<double> period_;
  std::chrono::steady_clock::time_point opened_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool broken_ = false;  // the meter threw: keep its last reading, stop calling it
  EnergyReading last_;
  std::thread thread_;
};

}  // namespace gear::host
