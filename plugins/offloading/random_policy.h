#pragma once

/// @file
/// The baseline every informed policy must beat: offload frames at random at the budget's rate.

#include <gear/config.h>
#include <gear/options.h>

#include <cstdint>
#include <random>

#include "score_policy.h"

namespace gear::plugins::offloading {

/// The random policy's options: the threshold's and the seed.
struct RandomOptions {
  ThresholdOptions threshold;
  int64_t seed = 1;
};

/// Offloads each frame with the budget's target probability, independently of the frame: its
/// score is a uniform draw, so the shared threshold admits a draw with probability level() and
/// the bucket still caps the spend. The generator restarts from `seed` at every start(), so two
/// runs of a stream decide alike.
class RandomPolicy final : public ScorePolicy {
 public:
  /// The threshold options and `seed`.
  static OptionSchema schema();
  static const OptionBinder<RandomOptions>& binder();

  /// Reads the options from `options` (borrowed for the call).
  explicit RandomPolicy(const Config& options);
  void start(const OffloadBudget& budget) override;
  /// A uniform draw in [0, 1), whatever the frame.
  double score(const OffloadFrame& frame) override;

 private:
  explicit RandomPolicy(const RandomOptions& options);

  uint64_t seed_;
  std::mt19937_64 generator_;
};

}  // namespace gear::plugins::offloading
