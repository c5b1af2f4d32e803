#pragma once

/// @file
/// ADaPT's binary search for the highest pruning level whose retrained accuracy meets a target,
/// on a grid of levels, apart from what a probe costs (the search stage prunes and retrains).

#include <functional>
#include <optional>
#include <vector>

namespace gear::host {

/// The levels a search may probe: lowest, lowest + step, ..., highest (fractions removed).
struct LevelGrid {
  double lowest = 0.05;
  double highest = 0.95;
  double step = 0.05;
  double start = 0.5;  ///< the first probe
};

/// One probe: the level, the accuracy its retrained net reached and whether that met the target.
struct LevelProbe {
  double level = 0.0;
  double accuracy = 0.0;
  bool met = false;
};

/// Every probe in the order run, and the highest level that met the target (none: no probe did).
struct LevelSearchResult {
  std::vector<LevelProbe> probes;
  std::optional<double> best;
};

/// `probe(level)` returns the accuracy of the net pruned to `level` and retrained; a level
/// meets the target when that accuracy is at least `target`. From `grid.start`, a level that
/// meets it moves halfway up to the upper bound, one that fails halfway down to the lower bound,
/// rounded up to the grid (ADaPT's DaPR), until the next level is one already probed. Where
/// rounding up would repeat a failed level, the level one step below is next, so the lowest
/// level can be probed (ADaPT stops there instead, never probing its lowest level).
/// `stop_at_first` (cost_opt) stops at the first level that meets it; otherwise (memory_opt)
/// the search runs to convergence. No level is probed twice. Exceptions from `probe` propagate.
LevelSearchResult search_level(const LevelGrid& grid, double target, bool stop_at_first,
                               const std::function<double(double level)>& probe);

}  // namespace gear::host
