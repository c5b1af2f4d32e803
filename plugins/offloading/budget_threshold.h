#pragma once

/// @file
/// The threshold controller every score-based offload policy shares: a frame is offloaded when
/// its score ranks in the top `level` of the recent scores and the budget's token bucket holds
/// its cost; `level` is adapted online so that the long-run spend equals the budget.

#include <gear/offload_policy.h>
#include <gear/options.h>

#include <array>
#include <cstdint>
#include <vector>

namespace gear::plugins::offloading {

/// The controller's options, declared once (threshold_binder()) and shared by every policy.
struct ThresholdOptions {
  /// Depth of a byte budget's token bucket, in frames of allowance: how much unspent budget may
  /// be saved up for a burst (and by how much the spend may run ahead of the allowance).
  int64_t window = 300;
  /// Frames whose scores a frame's score is ranked among: how fast the threshold follows a
  /// change of the score distribution.
  int64_t history = 300;
  /// Gain of the stochastic approximation of the offload level, in quantile units per frame of
  /// rate error.
  double step = 0.02;
};

/// The one declaration of ThresholdOptions.
const OptionBinder<ThresholdOptions>& threshold_binder();

/// Decides from a score in [0, 1] (higher: more worth offloading) under an OffloadBudget.
///
/// A frame is offloaded iff the level is positive and its score's mid-rank among the last
/// `history` scores is at least 1 - level, i.e. score >= tau with tau the history's (1 -
/// level)-quantile. After every frame (but one the ranking admitted and the bucket held back,
/// so that a held-back burst does not wind the level up) the level moves by step * (a - spent) /
/// mean cost, a the allowance (the frame fraction f, or min(B, link / 8) / fps bytes) and spent the
/// frame's cost (1, or its bytes) when offloaded: a stochastic approximation in quantile units, so
/// it is insensitive to how the scores are spread, starts at the target rate and keeps the long-run
/// spend within about 1 / (step * frames) of the allowance whatever the scores. A byte rate is also
/// a hard cap: a token bucket refilled by a each frame, `window` * a deep (at least the frame's
/// bytes, so a large frame is never starved) and full at the start, must hold the frame's bytes, so
/// the bytes sent never exceed the allowance by more than one bucket. Ranks come from a Fenwick
/// tree over kBins bins of sqrt(score) (fine near 0, where confidences crowd): a decision costs
/// O(log kBins).
class BudgetThreshold {
 public:
  /// Bins of the score histogram.
  static constexpr int kBins = 4096;

  /// Validates and copies `options`; call start() before admit().
  explicit BudgetThreshold(const ThresholdOptions& options);

  /// Starts a stream under `budget`: forgets the scores, the level and the bucket (which is
  /// filled on the first frame, once the link is known). Throws std::invalid_argument for a budget
  /// that is not exactly one of a frame fraction in (0, 1] and a positive byte rate, or a frame
  /// rate that is not positive.
  void start(const OffloadBudget& budget);

  /// Whether to offload `frame` (borrowed for the call) with `score` (clamped to [0, 1]);
  /// updates the bucket and the level. Throws std::logic_error before start().
  bool admit(double score, const OffloadFrame& frame);

  /// The current offload level: the share of the recent score distribution admitted.
  double level() const { return level_; }
  /// Bytes of credit in a byte budget's bucket (unused under a frame fraction).
  double credit() const { return credit_; }

 private:
  int bin_of(double score) const;
  void add_count(int bin, int delta);
  int64_t count_below(int bin) const;  // scores in bins [0, bin)

  ThresholdOptions options_;
  OffloadBudget budget_;
  bool started_ = false;
  bool primed_ = false;  // level_ set from the first frame's allowance
  double level_ = 0.0;
  double credit_ = 0.0;
  std::array<int32_t, kBins> counts_{};
  std::array<int32_t, kBins + 1> tree_{};  // Fenwick tree over counts_, 1-based
  std::vector<int32_t> ring_bins_;         // the last `history` bins, oldest at ring_next_
  std::vector<double> ring_costs_;         // their costs (bytes), for the mean cost
  size_t ring_next_ = 0;
  int64_t ring_size_ = 0;
  double ring_cost_sum_ = 0.0;
};

}  // namespace gear::plugins::offloading
