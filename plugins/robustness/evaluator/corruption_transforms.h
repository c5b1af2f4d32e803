#pragma once

#include <gear/config.h>
#include <gear/image_transforms.h>

namespace gear::plugins {

/// The 15 corruptions as named transforms at a severity 1..5 (levels: one value).
class CorruptionTransforms final : public ImageTransforms {
 public:
  explicit CorruptionTransforms(const Config&) {}
  static OptionSchema schema() { return {}; }
  std::vector<std::string> names() const override;
  torch::Tensor apply(const std::string& name, const torch::Tensor& images,
                      const torch::Tensor& levels, torch::Generator& generator) override;
};

}  // namespace gear::plugins
