#pragma once

/// @file
/// Pruners remove whole channels from a GrowableNet's channel groups (structured pruning), so
/// the pruned net is physically smaller: every tensor tied to a group loses the same channels.

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gear/component_kind.h"
#include "gear/config.h"
#include "gear/export.h"
#include "gear/growable_net.h"
#include "gear/growth_strategy.h"

namespace gear {

/// What a prune target counts.
enum class PruneMeasure {
  kParams,  ///< trainable parameters
  kMacs,    ///< multiply-accumulates of one forward pass for one sample
  kBytes,   ///< bytes of the parameters and buffers (BatchNorm statistics included)
};

/// The TOML name of a measure: "params", "macs" or "bytes".
GEAR_EXPORT const char* measure_name(PruneMeasure measure);

/// How much a prune stage removes: the fraction, in (0, 1), of the net's `measure` to free
/// (counted exactly, consumer columns included).
struct PruneTarget {
  PruneMeasure measure = PruneMeasure::kParams;
  double fraction = 0.5;
};

/// What the host offers a pruner during a prune stage. Borrowed for the call to prune().
class PruningContext {
 public:
  virtual ~PruningContext() = default;
  /// The device the net lives on.
  virtual torch::Device device() const = 0;
  /// The stage's target.
  virtual const PruneTarget& target() const = 0;
  /// The shape [C, H, W] of one input sample, for counting MACs (CostAtWidths).
  virtual const std::vector<int64_t>& sample_shape() const = 0;
  /// Runs `step` on up to `max_batches` (0: all) shuffled training batches of the stage's data
  /// (normalised float images and int64 labels on device(), valid during the call), for
  /// data-driven criteria. The net's mode is the caller's (GrowableNet::observe).
  virtual void for_each_batch(const GrowthContext::BatchStep& step, int64_t max_batches) = 0;
  /// Seeded generator for the pruner's random draws (CPU).
  virtual torch::Generator& generator() = 0;
  /// for_each_batch() sharded over the ranks of a data-parallel run, as
  /// GrowthContext::for_each_shard(): each rank gets its share of every global batch and that
  /// share's fraction of the batch. Scores summed over samples and then added over the ranks with
  /// sum_across_ranks() are the whole batches' on every rank. `step` is borrowed for the call.
  /// Since SDK 0.11.
  virtual void for_each_shard(const GrowthContext::ShardStep& step, int64_t max_batches) {
    for_each_batch([&](const torch::Tensor& images,
                       const torch::Tensor& labels) { step(images, labels, 1.0); },
                   max_batches);
  }
  /// Replaces each of `tensors` (borrowed) by its sum over the ranks, in place; nothing in one
  /// process. A collective, as GrowthContext::sum_across_ranks(). Since SDK 0.11.
  virtual void sum_across_ranks(const std::vector<torch::Tensor>& tensors) { (void)tensors; }
};

/// What a pruning step did, recorded in stages.json.
struct PruneResult {
  /// Channels removed per group, in group order.
  std::vector<int64_t> removed;
  /// What stopped it: "target", or "floor" when every group reached its floor first (the net is
  /// then pruned to the floors and the stage says by how much the target was missed).
  std::string bound_by = "target";
  /// Extra figures and records, copied to the reports.
  std::map<std::string, double> metrics;
  std::map<std::string, Value> records;
};

/// A pruner. Created once per prune stage from its options.
class Pruner {
 public:
  virtual ~Pruner() = default;
  /// Removes channels from `net` (borrowed) through its channel groups (GrowableNet::select),
  /// until context.target() is met or the floors stop it. The host rebuilds the optimizer and
  /// re-applies the memory format afterwards.
  virtual PruneResult prune(GrowableNet& net, PruningContext& context) = 0;
};

/// Counts the trainable parameters a net would have with each group g at width `widths[g]`
/// (group order), exactly, from the tensors tied to the groups: a tensor tied on several dims
/// (a conv's rows to one group, its columns to another) shrinks along each; tensors tied to no
/// group keep their size. Built once from the net's current tensors (the net is borrowed for
/// the constructor only), so a search over many widths does not walk the net each time; build a
/// new one after the net's tensors change.
class GEAR_EXPORT ParamsAtWidths {
 public:
  explicit ParamsAtWidths(const GrowableNet& net);
  /// The count at `widths` (borrowed; one per group). Throws std::invalid_argument for a wrong
  /// number of widths.
  int64_t operator()(const std::vector<int64_t>& widths) const;

 private:
  struct Tensor {
    std::vector<int64_t> sizes;
    /// For each dim a group indexes: (dim, group, entries per channel).
    std::vector<std::array<int64_t, 3>> tied;
  };
  std::vector<Tensor> tensors_;
  size_t groups_ = 0;
};

/// ParamsAtWidths(net)(widths), for a single count. Both arguments are borrowed for the call.
GEAR_EXPORT int64_t params_at_widths(const GrowableNet& net, const std::vector<int64_t>& widths);

/// Counts what a net would cost with each group g at width `widths[g]`, for every PruneMeasure,
/// exactly: parameters as ParamsAtWidths; bytes of parameters and buffers (BatchNorm running
/// statistics shrink with their group); MACs as GrowableNet::macs counts them (a convolution's
/// MACs are its weight's entries times its output positions, which pruning channels does not
/// change; a Linear's are its weight's entries). Built once: the constructor runs one forward
/// pass of a zero sample of `sample_shape` [C, H, W] in eval mode without gradients (the net is
/// borrowed for the constructor only; its mode is restored). Build a new one after the net's
/// tensors change.
class GEAR_EXPORT CostAtWidths {
 public:
  CostAtWidths(GrowableNet& net, const std::vector<int64_t>& sample_shape);
  /// `measure` at `widths` (borrowed; one per group). Throws std::invalid_argument for a wrong
  /// number of widths.
  int64_t operator()(PruneMeasure measure, const std::vector<int64_t>& widths) const;

 private:
  struct Tensor {
    std::vector<int64_t> sizes;
    /// For each dim a group indexes: (dim, group, entries per channel).
    std::vector<std::array<int64_t, 3>> tied;
    int64_t params = 0;     ///< 1 for a trainable parameter, else 0
    int64_t bytes = 0;      ///< bytes per entry
    int64_t positions = 0;  ///< MACs per entry: a conv's output positions, 1 for a Linear
  };
  std::vector<Tensor> tensors_;
  size_t groups_ = 0;
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::Pruner, "pruner",
                    "removes whole channels: a prune stage's pruner = \"...\"");
