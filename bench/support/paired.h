#pragma once

// The A/B rule of the C++ benchmarks: GEAR's way and the reference alternate, repeat by repeat,
// so both see the same machine, and each repeat's ratio is read as well as the times.

#include <algorithm>
#include <numeric>
#include <vector>

namespace gear::bench {

/// Milliseconds per repeat of GEAR's way (`ours`) and the reference (`theirs`), measured in turn.
struct Paired {
  std::vector<double> ours_ms, theirs_ms;

  static double mean(const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  }
  /// The middle element (the upper one of an even count).
  static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
  /// Each repeat's speed-up: theirs / ours.
  std::vector<double> speedups() const {
    std::vector<double> s;
    for (size_t i = 0; i < ours_ms.size(); ++i) s.push_back(theirs_ms[i] / ours_ms[i]);
    return s;
  }
  double speedup_median() const { return median(speedups()); }
  double speedup_min() const {
    const auto s = speedups();
    return *std::min_element(s.begin(), s.end());
  }
  double speedup_max() const {
    const auto s = speedups();
    return *std::max_element(s.begin(), s.end());
  }
};

/// `repeats` (>= 1) rounds of ours() then theirs(), each returning its milliseconds. The callables
/// are borrowed for the call.
template <typename Ours, typename Theirs>
Paired time_paired(int repeats, const Ours& ours, const Theirs& theirs) {
  Paired p;
  for (int r = 0; r < repeats; ++r) {
    p.ours_ms.push_back(ours());
    p.theirs_ms.push_back(theirs());
  }
  return p;
}

}  // namespace gear::bench
