#pragma once

/// @file
/// The offline optimum an offload policy is measured against: knowing the whole stream (which
/// frames the edge and the cloud classify correctly, and each frame's bytes), the set of frames
/// to offload that gains the most accuracy over edge-only within a byte budget.

#include <cstdint>
#include <vector>

namespace gear::host {

/// A 0/1 knapsack whose values are the per-frame gains cloud_correct - edge_correct. Only frames
/// with gain 1 are ever worth their bytes, and all of them are worth the same, so the optimum
/// for any budget takes them smallest first: any set of m such frames costs at least the m
/// smallest sizes. Exact, O(n log n) to build and O(log n) per budget.
class OffloadOracle {
 public:
  /// `edge_correct`, `cloud_correct` and `bytes` (> 0) are per frame, of equal length; all are
  /// copied.
  OffloadOracle(const std::vector<bool>& edge_correct, const std::vector<bool>& cloud_correct,
                const std::vector<int64_t>& bytes);

  /// The most frames that offloading gains (net of those it loses) with at most `budget_bytes`
  /// sent.
  int64_t best_gain(double budget_bytes) const;
  /// Frames offloaded by the optimum for `budget_bytes`, in stream order.
  std::vector<int64_t> choose(double budget_bytes) const;
  /// Frames the edge alone classifies correctly.
  int64_t edge_correct() const { return edge_correct_; }
  /// How many frames gain from offloading (the most best_gain() can reach).
  int64_t gainable() const { return static_cast<int64_t>(by_size_.size()); }

 private:
  std::vector<int64_t> by_size_;          // gain-1 frames, smallest first
  std::vector<double> cumulative_bytes_;  // bytes of the first k of them, k = 1..
  int64_t edge_correct_ = 0;
  std::vector<int64_t> bytes_;
};

}  // namespace gear::host
