#pragma once

/// @file
/// Architecture plugins build GrowableNets.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gear/component_kind.h"
#include "gear/growable_net.h"

namespace gear {

/// What the host asks an architecture to build.
struct ModelSpec {
  /// One sample's shape [C, H, W].
  std::vector<int64_t> input_shape;
  int64_t num_classes = 10;
  /// Multiplier of the architecture's standard widths (1.0 = the full-size model).
  double width = 1.0;
  /// Explicit width per channel group, in the net's group order; overrides `width` when set.
  /// This is how a grown net is rebuilt from a checkpoint.
  std::vector<int64_t> widths;
};

/// An architecture. One instance per pipeline; build() may be called several times (the model,
/// the full-size reference, a rebuild from a checkpoint).
class Architecture {
 public:
  virtual ~Architecture() = default;
  /// Builds a freshly initialised net on the CPU. Ownership passes to the caller. Throws
  /// std::invalid_argument for a spec it cannot build (wrong number of widths, input too small).
  virtual std::shared_ptr<GrowableNet> build(const ModelSpec& spec) const = 0;
  /// The standard full-size widths for `spec`'s input (the reference for "size %").
  virtual std::vector<int64_t> reference_widths(const ModelSpec& spec) const = 0;
};

/// Scales standard widths by a multiplier, rounding to nearest and keeping at least one channel.
std::vector<int64_t> scale_widths(const std::vector<int64_t>& standard, double multiplier);

/// Checks the parts of `spec` every architecture needs (input [C, H, W] with positive sizes,
/// num_classes > 0) and returns the width of each channel group: `spec.widths` when given, else
/// `standard` scaled by `spec.width`. `group_names` is parallel to `standard` and names groups in
/// messages; `architecture` names the architecture. All arguments are borrowed for the call.
/// Throws std::invalid_argument saying what is wrong (e.g. "resnet18: expected 12 widths, one
/// per channel group (stage1, ...), got 3").
std::vector<int64_t> resolve_widths(const std::string& architecture, const ModelSpec& spec,
                                    const std::vector<int64_t>& standard,
                                    const std::vector<std::string>& group_names);

}  // namespace gear

GEAR_COMPONENT_KIND(gear::Architecture, "architecture",
                    "builds the network: [model] architecture = \"...\"");
