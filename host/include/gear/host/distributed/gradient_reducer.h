#pragma once

/// @file
/// Data-parallel gradients: every rank's parameter gradients summed in buckets, each bucket's
/// all-reduce started as soon as backward has produced all of its gradients, so communication
/// overlaps the rest of backward (as torch's DistributedDataParallel does).

#include <torch/types.h>

#include <cstdint>
#include <mutex>
#include <vector>

#include "gear/host/distributed/world.h"

namespace gear::host {

/// The reducer's bucket size in training: small enough that a CPU-sized net (a few MB of
/// gradients) gets several buckets to overlap with backward.
constexpr int64_t kGradientBucketBytes = int64_t{1} << 20;

/// Buckets a net's trainable parameters for one training stage. Each rank backpropagates its
/// share's loss weighted by share / global batch, so the sum over ranks is the global batch's
/// gradient; finish() writes that sum into every parameter's grad on every rank.
class GradientReducer {
 public:
  /// `params` (shared, not copied) in the order the net lists them; buckets fill from the last
  /// (backward produces the head's gradients first), each up to `bucket_bytes`, one dtype and
  /// device per bucket. After the first step that overlapped, the buckets are laid out again in
  /// the order rank 0's backward produced the gradients, as DistributedDataParallel does, so a
  /// parameter backward reaches late (or never) does not hold back the buckets before it.
  /// Registers a gradient hook on each. `world` is borrowed and must outlive
  /// the reducer.
  GradientReducer(World& world, std::vector<torch::Tensor> params, int64_t bucket_bytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  /// Before a step's backward. `overlap`: the hooks copy each gradient into its bucket and start
  /// the bucket's all-reduce when it is full; false (a batch split, whose workers compute
  /// gradients with autograd::grad on several threads): the hooks do nothing and finish() reads
  /// the gradients from the parameters.
  void begin(bool overlap);
  /// After backward (and after a split step wrote the gradients): starts the buckets not yet
  /// started, in order, with a parameter's grad (zeros where it has none), waits for all, and
  /// writes the sums into the grads. Throws what World::wait throws.
  void finish();

  /// Number of buckets, and how many of them the last step started during backward.
  int64_t buckets() const { return static_cast<int64_t>(buckets_.size()); }
  int64_t started_during_backward() const { return started_early_; }

 private:
  struct Bucket {
    std::vector<size_t> params;  // indices into params_
    std::vector<int64_t> offsets;
    torch::Tensor flat;
    size_t pending = 0;  // gradients still to arrive this step
    PendingReduce reduce;
    bool started = false;
  };
  void lay_out(const std::vector<size_t>& order);
  void relayout_by_arrival();
  void on_gradient(size_t param, const torch::Tensor& grad);
  void start(size_t bucket);
  void start_ready();

  World& world_;
  std::vector<torch::Tensor> params_;
  int64_t bucket_bytes_;
  std::vector<size_t> arrivals_;  // this step's gradients in the order they arrived
  bool laid_out_by_arrival_ = false;
  std::vector<size_t> bucket_of_, slot_of_;
  std::vector<Bucket> buckets_;
  std::vector<bool> arrived_;
  std::vector<unsigned> hooks_;
  std::mutex mutex_;
  bool overlap_ = false;
  size_t next_ = 0;  // the first bucket not started: buckets start in order on every rank
  int64_t started_early_ = 0;
};

}  // namespace gear::host
