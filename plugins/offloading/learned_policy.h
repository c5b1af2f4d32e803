#pragma once

/// @file
/// A policy that learns which frames gain from the cloud: a logistic-regression head on the
/// frame's features, trained on a stream where both nets' correctness is known.

#include <gear/config.h>
#include <gear/options.h>

#include <array>
#include <cstdint>
#include <vector>

#include "logistic_regression.h"
#include "score_policy.h"

namespace gear::plugins::offloading {

/// Features of a frame the head sees, before standardisation.
inline constexpr int64_t kLearnedFeatures = 7;

/// The features of `frame` (borrowed): 1 - max_probability, 1 - margin, entropy, change,
/// log1p(frames_since_offload), log1p(frames of this size per second the link carries) and
/// log1p(queued frames of this size).
std::array<double, kLearnedFeatures> offload_features(const OffloadFrame& frame);

/// The learned policy's options.
struct LearnedOptions {
  ThresholdOptions threshold;
  double l2 = 1e-3;
  bool balance = true;
  int64_t iterations = 50;
};

/// Scores a frame by the predicted probability that offloading it gains accuracy (the cloud
/// net right where the edge net is wrong), then decides with the shared threshold. fit() learns
/// the standardisation and the head; start() keeps them.
class LearnedPolicy final : public ScorePolicy {
 public:
  /// The threshold options, `l2`, `balance` and `iterations`.
  static OptionSchema schema();
  static const OptionBinder<LearnedOptions>& binder();

  /// Reads the options from `options` (borrowed for the call).
  explicit LearnedPolicy(const Config& options);
  bool learns() const override { return true; }
  /// Fits on `examples` (borrowed) with target cloud_correct && !edge_correct. Throws
  /// std::invalid_argument when there are none or every target is the same.
  void fit(const std::vector<OffloadExample>& examples) override;
  /// The predicted probability of a gain. Throws std::logic_error before fit().
  double score(const OffloadFrame& frame) override;

 private:
  explicit LearnedPolicy(const LearnedOptions& options);

  LearnedOptions options_;
  bool fitted_ = false;
  std::array<double, kLearnedFeatures> mean_{};
  std::array<double, kLearnedFeatures> scale_{};  // 1 / standard deviation
  LogisticModel model_;
};

}  // namespace gear::plugins::offloading
