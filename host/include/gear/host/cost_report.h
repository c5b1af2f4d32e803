#pragma once

/// @file
/// What a net costs to run and to train on the run's device, measured (not modelled), for the
/// `cost` block of summary.json: the unpruned net is measured before the first stage that
/// prunes, the pruned one at the end.

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "gear/growable_net.h"

namespace gear::host {

/// How to measure.
struct CostSetup {
  std::vector<int64_t> sample_shape;  ///< one input [C, H, W]
  int64_t train_batch = 128;          ///< the training batch: latency and peak memory at it
  int64_t train_images = 0;           ///< images per training epoch
  torch::Device device = torch::kCPU;
  bool channels_last = false;  ///< the run's memory format for the inputs
  int64_t repeats = 5;  ///< timed passes per batch size (after one warm-up); the median counts
};

/// Measures `net` (borrowed; its weights, statistics and mode come back unchanged): params,
/// bytes (parameters and buffers), inference MACs per image, training MACs per epoch (forward
/// plus backward, the backward counted as twice the forward: the gradients of the inputs and of
/// the weights, per image), inference latency per image at batch 1 and at the training batch
/// (eval mode, no gradients, median of `repeats` timed passes, synchronised on CUDA), and the
/// peak memory of one training step at the training batch (measure_train_memory).
nlohmann::json measure_cost(GrowableNet& net, const CostSetup& setup);

/// Inference latency per image of `net` (borrowed; it comes back in its mode) at batch 1 and at
/// the training batch: `latency_batch1_seconds`, `latency_batch_seconds` (eval mode, no
/// gradients, median of `repeats` timed passes after a warm-up, synchronised on CUDA) and
/// `latency_batch`.
nlohmann::json measure_latency(GrowableNet& net, const CostSetup& setup);

/// `after` against `before` (two measure_cost results): the ratio before/after of MACs, params
/// and each latency, and how much of the MACs ratio each measured latency speed-up reaches.
nlohmann::json cost_ratios(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace gear::host
