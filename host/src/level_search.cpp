#include "gear/host/level_search.h"

#include <cmath>
#include <map>

namespace gear::host {

LevelSearchResult search_level(const LevelGrid& grid, double target, bool stop_at_first,
                               const std::function<double(double level)>& probe) {
  // In grid steps, so rounding never drifts off the grid.
  auto steps = [&](double level) { return std::llround(level / grid.step); };
  const long long lowest = steps(grid.lowest);
  long long lower = lowest, upper = steps(grid.highest);
  long long p = std::min(std::max(steps(grid.start), lower), upper), previous = -1;
  LevelSearchResult result;
  std::map<long long, bool> met;
  while (p != previous && !met.count(p)) {
    // Rounded to 1e-9 so 17 steps of 0.05 read back as 0.85 in the records.
    const double level = std::round(static_cast<double>(p) * grid.step * 1e9) / 1e9;
    const double accuracy = probe(level);
    const bool ok = accuracy >= target;
    met[p] = ok;
    result.probes.push_back({level, accuracy, ok});
    double next;
    if (ok) {
      result.best = level;
      if (stop_at_first) break;
      next = (static_cast<double>(upper) + static_cast<double>(p)) / 2.0;
      lower = p;
    } else {
      next = (static_cast<double>(lower) + static_cast<double>(p)) / 2.0;
      upper = p;
    }
    previous = p;
    long long candidate = static_cast<long long>(std::ceil(next - 1e-9));
    // Rounding up never reaches the level below a failure; ADaPT's search stops there, so it
    // never probes its lowest level. One step down does.
    if (!ok && candidate == p) candidate = p - 1;
    if (candidate < lowest) break;
    p = candidate;
  }
  return result;
}

}  // namespace gear::host
