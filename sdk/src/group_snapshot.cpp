#include "gear/group_snapshot.h"

#include <torch/utils.h>

#include <numeric>
#include <set>

namespace gear {

GroupSnapshot::GroupSnapshot(GrowableNet& net, std::vector<std::string> groups)
    : net_(net), names_(std::move(groups)) {
  std::set<const void*> seen;
  for (const auto& name : names_) {
    widths_.push_back(net_.width(name));
    for (const auto& tied : net_.tied_tensors(name)) {
      if (!seen.insert(tied.tensor.unsafeGetTensorImpl()).second) continue;
      aliases_.push_back(tied.tensor);
      saved_.push_back(tied.tensor.detach().clone());
    }
  }
}

void set_width(GrowableNet& net, const std::string& group, int64_t width) {
  const int64_t now = net.width(group);
  if (now > width) {
    std::vector<int64_t> keep(static_cast<size_t>(width));
    std::iota(keep.begin(), keep.end(), 0);
    net.select(group, keep);
  } else if (now < width) {
    net.widen(group, width - now);
  }
}

void GroupSnapshot::restore() {
  for (size_t i = 0; i < names_.size(); ++i) set_width(net_, names_[i], widths_[i]);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < aliases_.size(); ++i) aliases_[i].copy_(saved_[i]);
}

}  // namespace gear
