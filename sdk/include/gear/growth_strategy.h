#pragma once

/// @file
/// Growth strategies widen a GrowableNet's channel groups.

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gear/component_kind.h"
#include "gear/config.h"
#include "gear/growable_net.h"

namespace gear {

/// Caps on the grown network. Unset fields do not bind.
struct Budget {
  std::optional<int64_t> params;
  std::optional<int64_t> bytes;
  /// Peak memory of one training step at the pipeline's batch size, on the run's device.
  std::optional<int64_t> train_memory;
};

/// What the host offers a strategy during a grow stage. Borrowed for the call to grow().
class GrowthContext {
 public:
  virtual ~GrowthContext() = default;
  /// The device the net lives on.
  virtual torch::Device device() const = 0;
  /// What for_each_batch() passes to its step: normalised float images [N, C, H, W] and int64
  /// labels [N], both on device() and valid during the call only.
  using BatchStep = std::function<void(const torch::Tensor& images, const torch::Tensor& labels)>;
  /// Runs `step` on the training batches of one shuffled epoch, stopping after `max_batches`
  /// (0: the whole epoch) without preparing the batches it would skip. Each call draws a fresh
  /// shuffle from the stage's seed. `step` is borrowed for the call. The net's mode is the
  /// caller's (GrowableNet::observe says what that means for BatchNorm).
  virtual void for_each_batch(const BatchStep& step, int64_t max_batches) = 0;
  /// All batches of one epoch: for_each_batch(step, 0).
  void for_each_batch(const BatchStep& step) { for_each_batch(step, 0); }
  /// Seeded generator for the strategy's random draws (CPU).
  virtual torch::Generator& generator() = 0;
  /// The pipeline's budget.
  virtual const Budget& budget() const = 0;
  /// Which budget field `net` exceeds ("params", "bytes", "train_memory"), or "" if it fits.
  virtual std::string exceeds_budget(GrowableNet& net) = 0;
  /// One input sample's shape [C, H, W] (for MACs), or empty when the host does not say. Since
  /// SDK 0.4.
  virtual std::vector<int64_t> sample_shape() const { return {}; }

  /// What for_each_shard() passes to its step: this rank's share of one global batch (images
  /// and labels as for BatchStep, valid during the call only) and `share`, its samples over the
  /// global batch's (1 in one process). Since SDK 0.11.
  using ShardStep =
      std::function<void(const torch::Tensor& images, const torch::Tensor& labels, double share)>;
  /// for_each_batch() for data-parallel runs: the same shuffled global batches, but each rank
  /// gets only its share of every one, and every rank gets the same number of steps. A strategy
  /// that multiplies its mean loss by `share` and then adds its gradients over the ranks with
  /// sum_across_ranks() holds the global batch's gradient on every rank, so every rank takes the
  /// same decision on a fraction of the work. In one process this is for_each_batch() with
  /// share 1 (the default, for hosts without ranks). `step` is borrowed for the call. Since
  /// SDK 0.11.
  virtual void for_each_shard(const ShardStep& step, int64_t max_batches) {
    for_each_batch([&](const torch::Tensor& images,
                       const torch::Tensor& labels) { step(images, labels, 1.0); },
                   max_batches);
  }
  /// Replaces each of `tensors` (borrowed; any device, floating or integer) by its sum over the
  /// ranks, in place; does nothing in one process. A collective: every rank calls it the same
  /// number of times with tensors of the same shapes and dtypes, in the same order. Throws
  /// std::runtime_error naming the rank that failed or did not answer. Since SDK 0.11.
  virtual void sum_across_ranks(const std::vector<torch::Tensor>& tensors) { (void)tensors; }
};

/// What a growth step did, recorded in stages.json and summary.json.
struct GrowthResult {
  /// New channels per group, in group order, split into copies of existing ones and fresh ones.
  std::vector<int64_t> split, fresh;
  /// What limited the growth ("gamma", "params", "bytes", "train_memory").
  std::string bound_by = "gamma";
  /// Extra figures (phase wall times, scores), copied to the reports as they are.
  std::map<std::string, double> metrics;
  /// Records that are more than one number (per-group scores, the chosen channels, a string),
  /// written to stages.json under "records".
  std::map<std::string, Value> records;
};

/// A growth strategy. Created once per grow stage from its options.
class GrowthStrategy {
 public:
  virtual ~GrowthStrategy() = default;
  /// Grows `net` (borrowed) in place through its channel groups. The host rebuilds the optimizer
  /// afterwards, so a strategy may change any parameter's shape.
  virtual GrowthResult grow(GrowableNet& net, GrowthContext& context) = 0;
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::GrowthStrategy, "growth",
                    "widens the net's channel groups: a grow stage's strategy = \"...\"");
