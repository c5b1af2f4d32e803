#pragma once

/// @file
/// The ResNet architecture plugin class (resnet18).

#include <gear/architecture.h>
#include <gear/config.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "resnet_net.h"

namespace gear::plugins::architectures {

class ResNetArchitecture : public Architecture {
 public:
  /// `name` is the registered name; `layout` its stages.
  ResNetArchitecture(const Config& options, std::string name, ResNetLayout layout);

  /// `stem_stride`: 0 picks 1 below 64 pixels and 2 from 64 pixels.
  static OptionSchema schema();

  std::shared_ptr<GrowableNet> build(const ModelSpec& spec) const override;
  std::vector<int64_t> reference_widths(const ModelSpec& spec) const override;

 private:
  std::string name_;
  ResNetLayout layout_;
  int64_t stem_stride_;
};

}  // namespace gear::plugins::architectures
