#pragma once

/// @file
/// The MobileNet architecture plugin class, one instance per version (mobilenet_v1, _v2).

#include <gear/architecture.h>
#include <gear/config.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mobilenet_layout.h"

namespace gear::plugins::architectures {

class MobileNetArchitecture : public Architecture {
 public:
  /// `version` is 1 or 2.
  MobileNetArchitecture(const Config& options, int version);

  /// `stem_stride` (see stem_stride.h).
  static OptionSchema schema();

  std::shared_ptr<GrowableNet> build(const ModelSpec& spec) const override;
  std::vector<int64_t> reference_widths(const ModelSpec& spec) const override;

 private:
  std::string name_;
  int version_;
  int64_t stem_stride_;
  std::vector<GroupSpec> groups_;
};

}  // namespace gear::plugins::architectures
