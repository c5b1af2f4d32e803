#pragma once

/// @file
/// Offload policies: per frame of a stream, an edge device decides from cheap features of its own
/// net's output (confidence, margin, entropy, change since the last frame it sent) and of the
/// link (its capacity now) whether to send the frame to a more accurate cloud net. A policy is
/// run at a bandwidth target (a fraction of frames or bytes per second) that it must meet on
/// average; the host's offload stage runs every policy on the same stream and link and compares
/// them with the offline optimum. Policies are plugins of kind `offload_policy`.

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "gear/component_kind.h"

namespace gear {

/// What the edge knows about one frame when it decides: everything is computed by the host before
/// the call, so a decision costs the policy a few arithmetic operations.
struct OffloadFrame {
  /// Position in the stream, from 0.
  int64_t index = 0;
  /// Capture time in seconds since the stream's first frame.
  double time_seconds = 0.0;
  /// The edge net's softmax over the classes, float [classes] on the CPU. Borrowed: valid for
  /// the call only.
  torch::Tensor probabilities;
  /// The largest probability, in (0, 1].
  double max_probability = 1.0;
  /// Largest minus second largest probability, in [0, 1].
  double margin = 1.0;
  /// Entropy of the softmax divided by log(classes), in [0, 1].
  double entropy = 0.0;
  /// Mean absolute difference of the frame's pixels (scaled to [0, 1]) from the last frame this
  /// policy offloaded; 1 when it has offloaded none yet. Large after a scene cut.
  double change = 1.0;
  /// Frames since this policy last offloaded one (index + 1 when it never did).
  int64_t frames_since_offload = 0;
  /// Bytes that offloading this frame sends (its encoded size).
  int64_t bytes = 0;
  /// The link's capacity at time_seconds, in bits per second.
  double link_bits_per_second = 0.0;
  /// Bytes already queued on the link and not yet sent, when the frame is captured.
  int64_t queued_bytes = 0;
};

/// The bandwidth target a policy runs at. Exactly one of frame_fraction and bytes_per_second is
/// positive.
struct OffloadBudget {
  /// Offload this fraction of the frames, in (0, 1]: a long-run target, met on average over the
  /// stream (a burst of uncertain frames may be offloaded above it for a while).
  double frame_fraction = 0.0;
  /// Send at most this many bytes per second, and never more than the link carries at the time:
  /// a cap that the bytes sent over any stretch of frames may exceed by a bounded burst only.
  double bytes_per_second = 0.0;
  /// The stream's frame rate, to turn bytes per second into bytes per frame.
  double frames_per_second = 30.0;
};

/// One frame of a training stream, for policies that learn: its features and whether the edge
/// and the cloud net classify it correctly.
struct OffloadExample {
  /// The features as decide() would see them; `probabilities` is owned by the example. `change`,
  /// `frames_since_offload` and `queued_bytes` depend on what was offloaded before, so the host
  /// measures them under a reference schedule that offloads the least confident fifth of the
  /// frames (a policy's own schedule is not known before it is fitted).
  OffloadFrame frame;
  bool edge_correct = false;
  bool cloud_correct = false;
};

/// A per-frame offload decision. Created once per policy table of an offload stage; the stage
/// calls fit() once (when the policy learns), then, for each target, start() and decide() for
/// every frame in stream order. Runs on one thread.
class OffloadPolicy {
 public:
  virtual ~OffloadPolicy() = default;
  /// Whether fit() needs a training stream; the stage builds one only for policies that learn.
  virtual bool learns() const { return false; }
  /// Learns from a training stream's examples (borrowed for the call). Throws
  /// std::invalid_argument when they cannot be learned from (a single class of outcome).
  virtual void fit(const std::vector<OffloadExample>& examples) { (void)examples; }
  /// Starts a stream under `budget` (copied): forgets what earlier streams taught the
  /// threshold, keeps what fit() learned. Throws std::invalid_argument for a budget that is not
  /// exactly one positive target, or a frame rate that is not positive.
  virtual void start(const OffloadBudget& budget) = 0;
  /// Whether to offload `frame` (borrowed for the call).
  virtual bool decide(const OffloadFrame& frame) = 0;
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::OffloadPolicy, "offload_policy",
                    "a per-frame edge-to-cloud offload decision: an offload stage's policies");
