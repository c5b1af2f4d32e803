#include <map>
#include <stdexcept>
#include <unordered_set>

#include "gear/pruner.h"

namespace gear {

ParamsAtWidths::ParamsAtWidths(const GrowableNet& net) : groups_(net.groups().size()) {
  // Which dims of which trainable tensor each group indexes.
  std::map<const void*, std::map<int64_t, std::array<int64_t, 2>>> tied;  // dim -> group, block
  const auto& groups = net.groups();
  for (size_t g = 0; g < groups.size(); ++g)
    for (const auto& t : net.tied_tensors(groups[g].name)) {
      if (t.role == TieRole::kNormMean || t.role == TieRole::kNormVar) continue;  // buffers
      if (!t.tensor.requires_grad()) continue;
      tied[t.tensor.unsafeGetTensorImpl()][t.dim] = {static_cast<int64_t>(g), t.block};
    }
  std::unordered_set<const void*> seen;
  for (const auto& p : net.parameters()) {
    if (!seen.insert(p.unsafeGetTensorImpl()).second) continue;
    Tensor entry;
    entry.sizes = p.sizes().vec();
    auto it = tied.find(p.unsafeGetTensorImpl());
    if (it != tied.end())
      for (const auto& [dim, group_block] : it->second)
        entry.tied.push_back({dim, group_block[0], group_block[1]});
    tensors_.push_back(std::move(entry));
  }
}

int64_t ParamsAtWidths::operator()(const std::vector<int64_t>& widths) const {
  if (widths.size() != groups_)
    throw std::invalid_argument("params_at_widths: " + std::to_string(widths.size()) +
                                " widths for " + std::to_string(groups_) + " groups");
  int64_t total = 0;
  for (const Tensor& t : tensors_) {
    std::vector<int64_t> sizes = t.sizes;
    for (const auto& [dim, group, block] : t.tied)
      sizes[static_cast<size_t>(dim)] = widths[static_cast<size_t>(group)] * block;
    int64_t numel = 1;
    for (int64_t s : sizes) numel *= s;
    total += numel;
  }
  return total;
}

int64_t params_at_widths(const GrowableNet& net, const std::vector<int64_t>& widths) {
  return ParamsAtWidths(net)(widths);
}

}  // namespace gear
