#include "budget_threshold.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gear::plugins::offloading {
namespace {

// Credit accumulated in steps of f falls short of a whole frame by rounding (ten times 0.1 is
// 0.9999999999999999), which would delay every offload by a frame.
constexpr double kCreditSlack = 1e-9;
// Bounds of the offload level: below 0 nothing is sent, above 1 everything is.
constexpr double kLowestLevel = -1.0;
constexpr double kHighestLevel = 2.0;

}  // namespace

const OptionBinder<ThresholdOptions>& threshold_binder() {
  static const OptionBinder<ThresholdOptions> binder = [] {
    OptionBinder<ThresholdOptions> b;
    b.bind("window", &ThresholdOptions::window,
           "byte budgets: token bucket depth in frames of allowance, how much unspent budget a "
           "burst of high-scoring frames may use (and how far the spend may run ahead of it)")
        .range(1, 100000);
    b.bind("history", &ThresholdOptions::history,
           "frames whose scores each frame's score is ranked among (the threshold is their "
           "quantile): longer is steadier, shorter follows a changing stream faster")
        .range(1, 100000);
    b.bind("step", &ThresholdOptions::step,
           "gain of the offload level's online adaptation (quantile units per frame of rate "
           "error): larger meets the target sooner, smaller ranks more steadily")
        .range(1e-6, 1.0);
    return b;
  }();
  return binder;
}

BudgetThreshold::BudgetThreshold(const ThresholdOptions& options) : options_(options) {
  if (options_.window < 1 || options_.history < 1 || !(options_.step > 0.0))
    throw std::invalid_argument("offload threshold: window and history must be >= 1, step > 0");
  ring_bins_.assign(static_cast<size_t>(options_.history), 0);
  ring_costs_.assign(static_cast<size_t>(options_.history), 0.0);
}

void BudgetThreshold::start(const OffloadBudget& budget) {
  const bool by_frames = budget.frame_fraction > 0.0;
  const bool by_bytes = budget.bytes_per_second > 0.0;
  if (by_frames == by_bytes)
    throw std::invalid_argument(
        "offload budget: exactly one of frame_fraction and bytes_per_second must be positive "
        "(got " +
        std::to_string(budget.frame_fraction) + " and " + std::to_string(budget.bytes_per_second) +
        ")");
  if (by_frames && !(budget.frame_fraction <= 1.0))
    throw std::invalid_argument("offload budget: frame_fraction must be in (0, 1], got " +
                                std::to_string(budget.frame_fraction));
  if (by_bytes && !std::isfinite(budget.bytes_per_second))
    throw std::invalid_argument("offload budget: bytes_per_second must be finite");
  if (!(budget.frames_per_second > 0.0) || !std::isfinite(budget.frames_per_second))
    throw std::invalid_argument("offload budget: frames_per_second must be positive, got " +
                                std::to_string(budget.frames_per_second));
  budget_ = budget;
  started_ = true;
  primed_ = false;
  level_ = 0.0;
  credit_ = 0.0;
  counts_.fill(0);
  tree_.fill(0);
  std::fill(ring_bins_.begin(), ring_bins_.end(), 0);
  std::fill(ring_costs_.begin(), ring_costs_.end(), 0.0);
  ring_next_ = 0;
  ring_size_ = 0;
  ring_cost_sum_ = 0.0;
}

bool BudgetThreshold::admit(double score, const OffloadFrame& frame) {
  if (!started_) throw std::logic_error("offload threshold: admit() before start()");
  const bool by_frames = budget_.frame_fraction > 0.0;
  // What this frame costs and what the budget grants per frame, in the same unit.
  const double cost = by_frames ? 1.0 : static_cast<double>(std::max<int64_t>(frame.bytes, 0));
  const double allowance =
      by_frames ? budget_.frame_fraction
                : std::min(budget_.bytes_per_second, frame.link_bits_per_second / 8.0) /
                      budget_.frames_per_second;
  const double depth = std::max(static_cast<double>(options_.window) * allowance, cost);
  if (!primed_) {
    // The stream's first allowance over its first cost is the best guess of the rate.
    level_ = std::min(cost > 0.0 ? allowance / cost : 1.0, 1.0);
    if (!by_frames) credit_ = depth;
    primed_ = true;
  } else if (!by_frames) {
    credit_ = std::min(credit_ + allowance, depth);
  }

  const int bin = bin_of(score);
  double rank = 1.0;  // a stream's first frame ranks above its (empty) history
  if (ring_size_ > 0)
    rank = (static_cast<double>(count_below(bin)) + 0.5 * counts_[static_cast<size_t>(bin)]) /
           static_cast<double>(ring_size_);
  // A level at or below 0 sends nothing, not even a frame ranking first; at 1, every frame.
  const bool wanted = level_ > 0.0 && rank >= 1.0 - level_;
  // A frame fraction is a long-run target only; a byte rate is also a hard cap.
  const bool offload = wanted && (by_frames || credit_ + kCreditSlack * depth >= cost);
  if (offload && !by_frames) credit_ = std::max(credit_ - cost, 0.0);

  // Remember the score, dropping the oldest once the history is full.
  if (ring_size_ == options_.history) {
    add_count(ring_bins_[ring_next_], -1);
    ring_cost_sum_ -= ring_costs_[ring_next_];
  } else {
    ++ring_size_;
  }
  ring_bins_[ring_next_] = bin;
  ring_costs_[ring_next_] = cost;
  ring_cost_sum_ += cost;
  add_count(bin, 1);
  ring_next_ = (ring_next_ + 1) % ring_bins_.size();

  // The level integrates the rate error, except on a frame the ranking asked for and the bucket
  // held back: were it to count those, a burst of uncertain frames (one hard scene) would wind
  // it up until it admitted every frame in the calm that follows, and the frames sent would be
  // those that happen to find credit, not the most uncertain ones. The bounds keep it finite for
  // scores that rank first every frame.
  if (wanted == offload) {
    const double mean_cost = std::max(ring_cost_sum_ / static_cast<double>(ring_size_), 1e-12);
    const double spent = offload ? cost : 0.0;
    level_ = std::clamp(level_ + options_.step * (allowance - spent) / mean_cost, kLowestLevel,
                        kHighestLevel);
  }
  return offload;
}

int BudgetThreshold::bin_of(double score) const {
  if (!(score > 0.0)) return 0;  // also NaN
  const double u = std::sqrt(std::min(score, 1.0));
  return std::min(static_cast<int>(u * kBins), kBins - 1);
}

void BudgetThreshold::add_count(int bin, int delta) {
  counts_[static_cast<size_t>(bin)] += delta;
  for (int i = bin + 1; i <= kBins; i += i & -i) tree_[static_cast<size_t>(i)] += delta;
}

int64_t BudgetThreshold::count_below(int bin) const {
  int64_t total = 0;
  for (int i = bin; i > 0; i -= i & -i) total += tree_[static_cast<size_t>(i)];
  return total;
}

}  // namespace gear::plugins::offloading
