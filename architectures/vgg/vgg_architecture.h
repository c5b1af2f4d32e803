#pragma once

/// @file
/// The VGG architecture plugin class, one instance per depth (vgg11, vgg13, vgg16, vgg19).

#include <gear/architecture.h>
#include <gear/config.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vgg_layout.h"

namespace gear::plugins::architectures {

class VggArchitecture : public Architecture {
 public:
  /// `depth` is 11, 13, 16 or 19; one class serves every registered name.
  VggArchitecture(const Config& options, int depth);

  /// No options: width and widths come through the ModelSpec.
  static OptionSchema schema() { return {}; }

  std::shared_ptr<GrowableNet> build(const ModelSpec& spec) const override;
  std::vector<int64_t> reference_widths(const ModelSpec& spec) const override;

 private:
  std::string name_;
  VggLayout layout_;
};

}  // namespace gear::plugins::architectures
