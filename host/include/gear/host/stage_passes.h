#pragma once

/// @file
/// The passes over the training data that a grow or prune stage's plugin makes through its
/// context (GrowthContext, PruningContext): whole batches on every rank, or each rank's share of
/// them in a data-parallel run, and the sums that make the shares' results the whole batches'.

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "gear/growth_strategy.h"
#include "gear/host/data_stream.h"

namespace gear::host {

class World;

/// What one stage's passes saw, for its record in stages.json.
struct PassCounts {
  int64_t passes = 0;        ///< calls of for_each_batch and for_each_shard
  int64_t batches = 0;       ///< global batches stepped through
  int64_t samples = 0;       ///< samples this rank's steps were given (every view counted)
  int64_t sums = 0;          ///< calls of sum_across_ranks that crossed ranks
  bool sharded = false;      ///< whether any pass gave this rank only its share
  double seconds = 0.0;      ///< wall time inside the passes, the plugin's steps included
  double sum_seconds = 0.0;  ///< wall time inside sum_across_ranks
};

/// `counts` as a stage record's "data_passes": passes, global batches, samples this rank was
/// given, whether they were shards, the sums across ranks, and the seconds in both.
nlohmann::json passes_json(const PassCounts& counts);

/// One stage's passes. Each pass reshuffles the data from the stage's seed and the pass's
/// number, so every rank draws the same global batches.
class StagePasses {
 public:
  /// `data` and `augmentation` (may be null) are borrowed and must outlive the object; `world`
  /// (borrowed, may be null: one process) shards the passes of for_each_shard.
  StagePasses(const DeviceData& data, int64_t batch_size, Augmentation* augmentation,
              Normalizer normalizer, bool prefetch, uint64_t seed, World* world);

  /// GrowthContext::for_each_batch: every batch whole, on every rank.
  void for_each_batch(const GrowthContext::BatchStep& step, int64_t max_batches);
  /// GrowthContext::for_each_shard: this rank's share of every batch and its fraction.
  void for_each_shard(const GrowthContext::ShardStep& step, int64_t max_batches);
  /// GrowthContext::sum_across_ranks: each tensor summed over the ranks in place, one all-reduce
  /// per dtype (the tensors are packed into one buffer on the CPU and copied back).
  void sum_across_ranks(const std::vector<torch::Tensor>& tensors);

  const PassCounts& counts() const { return counts_; }

 private:
  void run(bool shard, const GrowthContext::ShardStep& step, int64_t max_batches);

  const DeviceData& data_;
  int64_t batch_size_;
  Augmentation* augmentation_;
  Normalizer normalizer_;
  bool prefetch_;
  uint64_t seed_;
  World* world_;
  PassCounts counts_;
};

}  // namespace gear::host
