// The offline optimum: gain-1 frames, smallest first (see offload_oracle.h for why it is exact).
#include "gear/host/offload/offload_oracle.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace gear::host {

OffloadOracle::OffloadOracle(const std::vector<bool>& edge_correct,
                             const std::vector<bool>& cloud_correct,
                             const std::vector<int64_t>& bytes)
    : bytes_(bytes) {
  if (edge_correct.size() != cloud_correct.size() || edge_correct.size() != bytes.size())
    throw std::invalid_argument("OffloadOracle: per-frame vectors of different lengths");
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] <= 0) throw std::invalid_argument("OffloadOracle: a frame of no bytes");
    if (edge_correct[i]) ++edge_correct_;
    if (cloud_correct[i] && !edge_correct[i]) by_size_.push_back(static_cast<int64_t>(i));
  }
  std::stable_sort(by_size_.begin(), by_size_.end(),
                   [&](int64_t a, int64_t b) { return bytes[a] < bytes[b]; });
  double total = 0.0;
  for (int64_t i : by_size_) cumulative_bytes_.push_back(total += static_cast<double>(bytes[i]));
}

int64_t OffloadOracle::best_gain(double budget_bytes) const {
  return std::upper_bound(cumulative_bytes_.begin(), cumulative_bytes_.end(), budget_bytes) -
         cumulative_bytes_.begin();
}

std::vector<int64_t> OffloadOracle::choose(double budget_bytes) const {
  std::vector<int64_t> chosen(by_size_.begin(), by_size_.begin() + best_gain(budget_bytes));
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace gear::host
