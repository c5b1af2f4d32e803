#pragma once

/// @file
/// Trying a change to a net's channel groups and going back: what growth strategies and pruners
/// do when they search for the most they can change within a budget.

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gear/export.h"
#include "gear/growable_net.h"

namespace gear {

/// Sets group `group` of `net` (borrowed) to `width` channels: drops the channels past it, or
/// appends inert ones. The first channels keep their places; callers overwrite values they care
/// about. Throws std::invalid_argument for an unknown group.
GEAR_EXPORT void set_width(GrowableNet& net, const std::string& group, int64_t width);

/// The widths of some groups and every tensor tied to them, saved so a trial change can be
/// undone.
class GEAR_EXPORT GroupSnapshot {
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

}  // namespace gear
