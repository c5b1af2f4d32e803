#pragma once

/// @file
/// The base of every policy that ranks frames by a score: the score is the policy's own, the
/// decision is the shared BudgetThreshold's.

#include <gear/config.h>
#include <gear/offload_policy.h>

#include "budget_threshold.h"

namespace gear::plugins::offloading {

/// A policy that offloads the frames scoring highest under its budget (BudgetThreshold).
class ScorePolicy : public OffloadPolicy {
 public:
  /// The threshold's options (threshold_binder()).
  static OptionSchema schema();

  /// `options` is copied.
  explicit ScorePolicy(const ThresholdOptions& options);
  /// Restarts the threshold under `budget`; subclasses that keep state per stream extend it.
  void start(const OffloadBudget& budget) override;
  bool decide(const OffloadFrame& frame) final;

  /// How much offloading `frame` (borrowed) is worth, in [0, 1]. Not const: a score may draw
  /// from the policy's own generator (random).
  virtual double score(const OffloadFrame& frame) = 0;

  /// The threshold, for diagnostics.
  const BudgetThreshold& threshold() const { return threshold_; }

 private:
  BudgetThreshold threshold_;
};

}  // namespace gear::plugins::offloading
