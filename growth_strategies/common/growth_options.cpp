#include "growth_options.h"

#include <algorithm>

namespace gear::plugins::growth {

const OptionBinder<GrowthOptions>& growth_binder() {
  static const OptionBinder<GrowthOptions> binder = [] {
    OptionBinder<GrowthOptions> b;
    b.bind("gamma", &GrowthOptions::gamma,
           "growth ratio: new channels = floor(gamma * sum of the grown groups' widths)")
        .range(0.0, 16.0);
    b.bind("groups", &GrowthOptions::groups,
           "channel groups to grow; empty = every growable group");
    return b;
  }();
  return binder;
}

std::vector<std::string> groups_to_grow(const GrowableNet& net, const GrowthOptions& options,
                                        const Config& config) {
  const std::vector<std::string>& requested = options.groups;
  auto fail = [&](const std::string& message) {
    growth_binder().fail(config, &GrowthOptions::groups, message);
  };
  std::vector<std::string> growable;
  for (const auto& g : net.groups())
    if (g.growable) growable.push_back(g.name);
  if (requested.empty()) {
    if (growable.empty()) fail("the network declares no growable channel group");
    return growable;
  }
  auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  std::vector<std::string> out;
  for (const auto& name : requested) {
    if (std::find(growable.begin(), growable.end(), name) == growable.end())
      fail("'" + name +
           "' is not a growable channel group of this network (growable: " + join(growable) + ")");
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

GrowthScope scope_of(const GrowableNet& net, const GrowthOptions& options, const Config& config) {
  GrowthScope scope;
  scope.names = groups_to_grow(net, options, config);
  scope.sets = sets_of(net, scope.names);
  scope.widths = widths_of(net, scope.names);
  return scope;
}

std::vector<std::string> sets_of(const GrowableNet& net, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(net.group(n).set);
  return out;
}

std::vector<int64_t> widths_of(const GrowableNet& net, const std::vector<std::string>& names) {
  std::vector<int64_t> out;
  for (const auto& n : names) out.push_back(net.width(n));
  return out;
}

GrowthResult make_result(const GrowableNet& net, const std::vector<std::string>& names,
                         const std::vector<int64_t>& split, const std::vector<int64_t>& fresh) {
  GrowthResult result;
  for (const auto& g : net.groups()) {
    auto it = std::find(names.begin(), names.end(), g.name);
    const size_t i = static_cast<size_t>(it - names.begin());
    result.split.push_back(it == names.end() ? 0 : split[i]);
    result.fresh.push_back(it == names.end() ? 0 : fresh[i]);
  }
  return result;
}

}  // namespace gear::plugins::growth
