#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gear::host {

/// Per-epoch progress: a redrawn bar on a terminal (batches, img/s, loss, ETA), and on anything
/// else a plain line at most every `plain_interval` seconds, so CI logs do not flood.
class Progress {
 public:
  explicit Progress(bool tty, double plain_interval = 30.0);
  /// True when stderr is a terminal.
  static bool stderr_is_tty();

  void begin(const std::string& label, int64_t total_batches);
  void update(int64_t batches_done, int64_t images_done, double mean_loss, double accuracy);
  void end();

 private:
  std::string line(int64_t batches_done, double rate, double mean_loss, double accuracy) const;

  bool tty_;
  double plain_interval_;
  std::string label_;
  int64_t total_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

}  // namespace gear::host
