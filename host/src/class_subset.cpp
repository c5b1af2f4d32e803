#include "gear/host/class_subset.h"

#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "gear/host/device.h"
#include "gear/host/text_match.h"

namespace gear::host {
namespace {

// The first dozen names, then how many there are: enough to spot the naming convention.
std::string listing(const std::vector<std::string>& names) {
  constexpr size_t kShown = 12;
  std::string out;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kShown) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

}  // namespace

ClassSubset resolve_class_subset(const std::vector<std::string>& requested, const DatasetInfo& info,
                                 const std::vector<ClassGroup>& groups, const Config& data) {
  std::vector<std::string> names = info.class_names;
  if (names.empty())
    for (int64_t c = 0; c < info.num_classes; ++c) names.push_back(std::to_string(c));
  std::map<std::string, int64_t> label_of;
  for (size_t c = 0; c < names.size(); ++c) label_of.emplace(names[c], static_cast<int64_t>(c));

  ClassSubset subset;
  auto add = [&](const std::string& name, const std::string& via) {
    auto it = label_of.find(name);
    if (it == label_of.end())
      data.fail("classes", "class group '" + via + "' names class '" + name +
                               "', which the dataset does not have");
    if (std::find(subset.original.begin(), subset.original.end(), it->second) !=
        subset.original.end())
      data.fail("classes", "class '" + name + "' is selected twice" +
                               (via.empty() ? std::string() : " (again through '" + via + "')"));
    subset.original.push_back(it->second);
    subset.names.push_back(name);
  };
  for (const std::string& entry : requested) {
    if (label_of.count(entry)) {
      add(entry, "");
      continue;
    }
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const ClassGroup& g) { return g.name == entry; });
    if (group != groups.end()) {
      for (const std::string& member : group->classes) add(member, entry);
      continue;
    }
    std::vector<std::string> candidates = names;
    for (const ClassGroup& g : groups) candidates.push_back(g.name);
    std::string message = "unknown class '" + entry + "'";
    const std::string guess = did_you_mean(entry, candidates);
    if (!guess.empty()) message += " (did you mean '" + guess + "'?)";
    message += "; classes: " + listing(names);
    if (!groups.empty()) {
      std::vector<std::string> group_names;
      for (const ClassGroup& g : groups) group_names.push_back(g.name);
      message += "; class groups: " + listing(group_names);
    }
    data.fail("classes", message);
  }
  return subset;
}

DataSplit restrict_to_classes(const DataSplit& split, const ClassSubset& subset,
                              int64_t num_classes, bool relabel) {
  // A lookup table from old to new labels; -1 drops the sample.
  torch::Tensor table = torch::full({num_classes}, -1, torch::kLong);
  for (size_t i = 0; i < subset.original.size(); ++i)
    table[subset.original[i]] = relabel ? static_cast<int64_t>(i) : subset.original[i];
  torch::Tensor mapped = table.index_select(0, split.labels.to(torch::kLong));
  torch::Tensor rows = (mapped >= 0).nonzero().flatten();
  return {split.images.index_select(0, rows).contiguous(), mapped.index_select(0, rows)};
}

std::pair<torch::Tensor, torch::Tensor> stratified_split(const torch::Tensor& labels,
                                                         int64_t num_classes, double fraction,
                                                         uint64_t seed) {
  const int64_t n = labels.size(0);
  torch::Tensor order = torch::randperm(n, make_generator(torch::kCPU, seed), torch::kLong);
  // Position of each sample within its class, in the random order: the first
  // round(fraction * n_c) of class c are held out.
  torch::Tensor shuffled = labels.to(torch::kLong).index_select(0, order).contiguous();
  torch::Tensor counts = torch::bincount(shuffled, {}, num_classes);
  std::vector<int64_t> seen(static_cast<size_t>(num_classes), 0), quota(seen.size());
  for (int64_t c = 0; c < num_classes; ++c)
    quota[static_cast<size_t>(c)] =
        std::llround(fraction * static_cast<double>(counts[c].item<int64_t>()));
  torch::Tensor held = torch::zeros({n}, torch::kBool);
  const int64_t* label = shuffled.data_ptr<int64_t>();
  bool* out = held.data_ptr<bool>();
  for (int64_t i = 0; i < n; ++i) {
    const auto c = static_cast<size_t>(label[i]);
    out[i] = seen[c]++ < quota[c];
  }
  return {order.masked_select(held.logical_not()), order.masked_select(held)};
}

}  // namespace gear::host
