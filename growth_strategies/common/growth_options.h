#pragma once

// Options and bookkeeping every growth strategy shares: γ, the groups to grow, the result.

#include <cstdint>
#include <string>
#include <vector>

#include "gear/config.h"
#include "gear/growth_strategy.h"
#include "gear/options.h"

namespace gear::plugins::growth {

/// The options the built-in growth strategies (osg, random, net2wider) share.
struct GrowthOptions {
  double gamma = 0.9;               ///< new channels = ⌊γ · Σ widths⌋ per budget set
  std::vector<std::string> groups;  ///< which groups to grow; empty: every growable group
};

/// The binder of GrowthOptions (`gamma`, `groups`), for a strategy's binder to include(). Built
/// once; the reference lives as long as the program.
const OptionBinder<GrowthOptions>& growth_binder();

/// The groups to grow: those named in `options.groups`, or every growable group when it is
/// empty. An unknown or non-growable name fails at the `groups` option's position in `config`
/// (the Config `options` was read from). All arguments are borrowed for the call.
std::vector<std::string> groups_to_grow(const GrowableNet& net, const GrowthOptions& options,
                                        const Config& config);

/// The groups a strategy grows, with their budget sets and widths before growth (parallel).
struct GrowthScope {
  std::vector<std::string> names, sets;
  std::vector<int64_t> widths;
};

/// groups_to_grow() with each group's set and current width.
GrowthScope scope_of(const GrowableNet& net, const GrowthOptions& options, const Config& config);

/// Budget set of each named group.
std::vector<std::string> sets_of(const GrowableNet& net, const std::vector<std::string>& names);
/// Width of each named group.
std::vector<int64_t> widths_of(const GrowableNet& net, const std::vector<std::string>& names);

/// A GrowthResult with split/fresh counts laid out in the net's group order (zeros for groups
/// that did not grow). `names`, `split` and `fresh` are parallel.
GrowthResult make_result(const GrowableNet& net, const std::vector<std::string>& names,
                         const std::vector<int64_t>& split, const std::vector<int64_t>& fresh);

}  // namespace gear::plugins::growth
