#pragma once

/// @file
/// Batch-split data parallelism on the CPU: the host cuts a training batch into contiguous shares
/// and runs forward and backward of each share on its own worker thread, one intra-op thread per
/// worker. Small convolutions scale poorly across threads inside one op (oneDNN at VGG-11 x0.25's
/// sizes: ~1.5x on 2 cores); independent shares scale like independent processes. Layers whose
/// output depends on other samples of the batch (batch normalisation) exchange per-worker partial
/// statistics through the split, so the result is the full batch's, not a "ghost" batch's.
///
/// Plugin authors: an architecture opts in by deriving its net from BatchSplittable as well as
/// GrowableNet, and by routing every BatchNorm through gear::batch_norm (gear/batch_norm.h).

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "gear/export.h"

namespace gear {

/// Marker interface: a GrowableNet that also derives from this promises that its training forward
/// pass gives the full batch's result when the batch is split across workers: every layer that
/// mixes samples goes through gear::batch_norm (or BatchSplit::all_gather), and forward draws no
/// random numbers (workers would draw them in a racy order). The host splits only such nets.
class GEAR_EXPORT BatchSplittable {
 public:
  virtual ~BatchSplittable();
};

/// The rendezvous of the workers of one split step. Created by the host, one per step or per
/// epoch; workers reach it through current_batch_split(). Thread-safe.
class GEAR_EXPORT BatchSplit {
 public:
  /// `workers` >= 1 threads will take part; ranks are 0 .. workers - 1.
  explicit BatchSplit(int workers);
  ~BatchSplit();
  BatchSplit(const BatchSplit&) = delete;
  BatchSplit& operator=(const BatchSplit&) = delete;

  /// Number of workers.
  int workers() const;

  /// Blocks until every worker has called all_gather with the same `tag`, then returns every
  /// worker's `part`, in rank order (the same tensors on every worker: read them, do not modify
  /// them in place). Workers must make the same sequence of calls; `tag` (any stable address,
  /// e.g. the layer) turns a mismatch into an error instead of mixing unrelated statistics.
  /// `part` is shared with the other workers until the call returns on all of them.
  /// Throws std::runtime_error if another worker failed (abort) or the tags disagree.
  std::vector<torch::Tensor> all_gather(int rank, const torch::Tensor& part, const void* tag);

  /// Wakes every worker waiting in all_gather, and fails every later call, with `why`. The host
  /// calls it when a worker throws, so the others do not wait forever.
  void abort(const std::string& why);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// The calling thread's place in a split.
struct BatchSplitMember {
  BatchSplit* split;  ///< not owned; valid while the BatchSplitScope that set it lives
  int rank;
};

/// The split the calling thread is a worker of, or nullptr (the usual case: no split).
GEAR_EXPORT const BatchSplitMember* current_batch_split();

/// Makes the calling thread worker `rank` of `split` until destroyed. `split` is borrowed and
/// must outlive the scope. Scopes do not nest.
class GEAR_EXPORT BatchSplitScope {
 public:
  BatchSplitScope(BatchSplit& split, int rank);
  ~BatchSplitScope();
  BatchSplitScope(const BatchSplitScope&) = delete;
  BatchSplitScope& operator=(const BatchSplitScope&) = delete;
};

}  // namespace gear
