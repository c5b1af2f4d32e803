#pragma once

/// @file
/// The edge-to-cloud link an offload stage sends frames over: a piecewise-constant bandwidth
/// trace plus a round-trip time, and a FIFO queue that turns a frame's bytes into the time its
/// answer comes back.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gear::host {

/// Bandwidth over time: from times[i] (seconds, increasing, times[0] == 0) until times[i + 1]
/// the link carries bits_per_second[i] (> 0); the last value holds for ever.
struct BandwidthTrace {
  std::vector<double> times;
  std::vector<double> bits_per_second;

  /// A link that always carries `bits_per_second`.
  static BandwidthTrace constant(double bits_per_second);
  /// `levels` in turn, each for `step_seconds`, repeated for `duration_seconds` (at least one
  /// cycle).
  static BandwidthTrace stepped(const std::vector<double>& levels, double step_seconds,
                                double duration_seconds);
  /// Reads a CSV of "time_seconds,bits_per_second" rows (a header row of non-numbers, blank
  /// lines and lines starting with '#' are skipped). Times start anywhere and are shifted to 0.
  /// Throws ConfigError at file:line for a malformed row, a negative or zero bandwidth, a time
  /// that does not increase, or a file with no rows.
  static BandwidthTrace read_csv(const std::filesystem::path& file);

  /// The capacity at time `t` (>= 0).
  double at(double t) const;
  /// The time at which `bytes` sent from `start` are through, the capacity changing on the way.
  double finish_time(double start, int64_t bytes) const;
  /// Bytes the link can carry between 0 and `t`.
  double capacity_bytes(double t) const { return bytes_between(0.0, t); }
  /// Bytes the link can carry between `from` and `to` (from <= to); costs the segments in
  /// between, so the queue asks it on every frame.
  double bytes_between(double from, double to) const;
};

/// A FIFO queue on the link: frames are sent one after the other, each as soon as the link is
/// free.
class LinkQueue {
 public:
  /// `trace` is borrowed and must outlive the queue.
  explicit LinkQueue(const BandwidthTrace& trace) : trace_(trace) {}
  /// Bytes captured before `t` still waiting or on the wire at `t`.
  int64_t queued_bytes(double t) const;
  /// Sends `bytes` captured at `t` (non-decreasing between calls); returns when the last bit
  /// arrives.
  double send(double t, int64_t bytes);

 private:
  struct InFlight {
    double start, finish;
    int64_t bytes;
  };
  const BandwidthTrace& trace_;
  std::vector<InFlight> in_flight_;
  double free_at_ = 0.0;
};

}  // namespace gear::host
