#pragma once

/// @file
/// When a train stage records a resume point: run.checkpoint_every ("2 epochs", "10 min").

#include <cstdint>
#include <string>

namespace gear::host {

/// run.checkpoint_every, read. At most one of the two is positive; neither ("off"): no point
/// inside a train stage (a stage's end is one anyway).
struct CheckpointPolicy {
  int64_t epochs = 1;    ///< a point after every N-th epoch of a train stage
  double seconds = 0.0;  ///< a point after the step that passes N seconds since the last one

  /// Whether a point is due after `epoch` (1-based, of the stage) epochs.
  bool due_after_epoch(int64_t epoch) const { return epochs > 0 && epoch % epochs == 0; }
  /// Whether a point is due `elapsed` seconds after the last one.
  bool due_after(double elapsed) const { return seconds > 0.0 && elapsed >= seconds; }
};

/// Reads "N epoch(s)", "N min", "N s" (N a positive number; whole for epochs) or "off". Throws
/// std::invalid_argument with checkpoint_policy_error's text otherwise.
CheckpointPolicy parse_checkpoint_policy(const std::string& text);

/// Why `text` is not a checkpoint policy; empty when it is one.
std::string checkpoint_policy_error(const std::string& text);

}  // namespace gear::host
