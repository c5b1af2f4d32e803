#include <map>
#include <stdexcept>
#include <unordered_set>

#include "gear/pruner.h"

namespace gear {

int64_t params_at_widths(const GrowableNet& net, const std::vector<int64_t>& widths) {
  const auto& groups = net.groups();
  if (widths.size() != groups.size())
    throw std::invalid_argument("params_at_widths: " + std::to_string(widths.size()) +
                                " widths for " + std::to_string(groups.size()) + " groups");
  // Each trainable tensor's new size: its size scaled, along every dim a group indexes, from the
  // group's width to the new one.
  struct Shrink {
    torch::Tensor tensor;
    std::map<int64_t, int64_t> kept_entries;  // dim -> entries kept along it
  };
  std::map<const void*, Shrink> tied;
  for (size_t g = 0; g < groups.size(); ++g) {
    for (const auto& t : net.tied_tensors(groups[g].name)) {
      if (t.role == TieRole::kNormMean || t.role == TieRole::kNormVar) continue;  // buffers
      if (!t.tensor.requires_grad()) continue;
      Shrink& s = tied[t.tensor.unsafeGetTensorImpl()];
      s.tensor = t.tensor;
      s.kept_entries[t.dim] = widths[g] * t.block;
    }
  }
  int64_t total = 0;
  std::unordered_set<const void*> counted;
  for (const auto& p : net.parameters()) {
    if (!counted.insert(p.unsafeGetTensorImpl()).second) continue;
    auto it = tied.find(p.unsafeGetTensorImpl());
    if (it == tied.end()) {
      total += p.numel();
      continue;
    }
    int64_t numel = 1;
    for (int64_t d = 0; d < p.dim(); ++d) {
      auto kept = it->second.kept_entries.find(d);
      numel *= kept == it->second.kept_entries.end() ? p.size(d) : kept->second;
    }
    total += numel;
  }
  return total;
}

}  // namespace gear
