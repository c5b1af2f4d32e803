#pragma once

/// @file
/// Running an offload policy over a stream: features per frame, the policy's decisions, the
/// link's queue, and what the decisions bought (accuracy, bytes, latency).

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "gear/host/offload/link_model.h"
#include "gear/offload_policy.h"

namespace gear::host {

/// What the edge and the cloud make of every frame of a stream, computed once and shared by
/// every policy and target.
struct StreamOutcomes {
  torch::Tensor frames;         ///< uint8 [F, C, H, W] on the CPU, for the change feature
  torch::Tensor probabilities;  ///< the edge's softmax, float [F, classes] on the CPU
  std::vector<double> max_probability, margin, entropy;
  std::vector<bool> edge_correct, cloud_correct;
  std::vector<int64_t> bytes;  ///< what offloading each frame sends
  double frames_per_second = 30.0;
  double edge_seconds = 0.0;   ///< edge inference per frame
  double cloud_seconds = 0.0;  ///< cloud inference per frame
  int64_t size() const { return static_cast<int64_t>(bytes.size()); }
};

/// Fills `outcomes`' probabilities and their features from the edge's logits [F, classes]
/// (borrowed), and edge_correct / cloud_correct from `edge_logits`, `cloud_logits` and `labels`
/// [F]. Frames, bytes and timings are the caller's.
void set_predictions(StreamOutcomes& outcomes, const torch::Tensor& edge_logits,
                     const torch::Tensor& cloud_logits, const torch::Tensor& labels);

/// What one policy's decisions over a stream bought.
struct OffloadOutcome {
  std::vector<bool> offloaded;  ///< per frame
  int64_t frames = 0, offloaded_frames = 0, correct = 0, bytes = 0;
  double accuracy = 0.0;
  double mean_latency_seconds = 0.0, p95_latency_seconds = 0.0;
  double decide_seconds = 0.0;  ///< the policy's decide() calls, all frames
  double seconds = 0.0;         ///< the stream's duration
};

/// Runs `policy` (borrowed; start() is called with `budget`) over `stream` in frame order with the
/// link `trace` (borrowed) and `rtt_seconds`. A frame's latency is the edge's inference time,
/// plus, when offloaded, its wait in the link's queue, its transfer, the round trip and the
/// cloud's inference time.
OffloadOutcome simulate_offloading(OffloadPolicy& policy, const OffloadBudget& budget,
                                   const StreamOutcomes& stream, const BandwidthTrace& trace,
                                   double rtt_seconds);

/// The training examples a learning policy's fit() takes: every frame's features with the edge's
/// and the cloud's correctness. The features that depend on earlier decisions (change, frames
/// since the last offload, the link's queue) are those of a reference schedule that offloads the
/// frames whose confidence is at or below the stream's 20th percentile.
std::vector<OffloadExample> training_examples(const StreamOutcomes& stream,
                                              const BandwidthTrace& trace, double rtt_seconds);

/// Latency summary of a policy that offloads exactly `offloaded` (per frame).
OffloadOutcome account(const std::vector<bool>& offloaded, const StreamOutcomes& stream,
                       const BandwidthTrace& trace, double rtt_seconds);

}  // namespace gear::host
