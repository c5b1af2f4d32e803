#pragma once

// Options and bookkeeping every growth strategy shares: γ, the groups to grow, the result.

#include <cstdint>
#include <string>
#include <vector>

#include "gear/config.h"
#include "gear/growth_strategy.h"

namespace gear::growth {

/// `gamma` (new channels = ⌊γ · Σ widths⌋ per budget set) and `groups` (which to grow).
OptionSchema growth_schema(double default_gamma);

/// The groups to grow: those named in `groups`, or every growable group when it is empty.
/// An unknown or non-growable name fails at the option's position in the pipeline.
std::vector<std::string> groups_to_grow(const GrowableNet& net, const Config& options);

/// The groups a strategy grows, with their budget sets and widths before growth (parallel).
struct GrowthScope {
  std::vector<std::string> names, sets;
  std::vector<int64_t> widths;
};

/// groups_to_grow() with each group's set and current width.
GrowthScope scope_of(const GrowableNet& net, const Config& options);

/// Budget set of each named group.
std::vector<std::string> sets_of(const GrowableNet& net, const std::vector<std::string>& names);
/// Width of each named group.
std::vector<int64_t> widths_of(const GrowableNet& net, const std::vector<std::string>& names);

/// A GrowthResult with split/fresh counts laid out in the net's group order (zeros for groups
/// that did not grow). `names`, `split` and `fresh` are parallel.
GrowthResult make_result(const GrowableNet& net, const std::vector<std::string>& names,
                         const std::vector<int64_t>& split, const std::vector<int64_t>& fresh);

}  // namespace gear::growth
