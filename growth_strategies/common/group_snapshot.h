#pragma once

// Remembers channel groups' widths and tied tensors so a strategy can try a growth, measure it
// against the budget, and go back.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gear/growable_net.h"

namespace gear::growth {

/// Sets a group to `width` channels: drops the channels past it, or appends inert ones. The
/// first channels keep their places; callers overwrite values they care about.
void set_width(GrowableNet& net, const std::string& group, int64_t width);

class GroupSnapshot {
 public:
  /// Saves `groups` of `net` (borrowed; it must outlive the snapshot). Every tensor tied to one of
  /// the groups is copied once.
  GroupSnapshot(GrowableNet& net, std::vector<std::string> groups);

  /// Puts the groups back to their saved widths and every tied tensor back to its saved value.
  /// Channels appended after the snapshot are dropped; the original channels keep their places.
  void restore();

 private:
  GrowableNet& net_;
  std::vector<std::string> names_;
  std::vector<int64_t> widths_;
  std::vector<torch::Tensor> aliases_, saved_;
};

}  // namespace gear::growth
