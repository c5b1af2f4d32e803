#pragma once

#include <gear/config.h>
#include <gear/image_transforms.h>

namespace gear::plugins::augmentations {

/// AugMix's 13 operations as named transforms at a magnitude (one, or one per image); they draw
/// no random numbers.
class AugMixOpTransforms final : public ImageTransforms {
 public:
  explicit AugMixOpTransforms(const Config&) {}
  static OptionSchema schema() { return {}; }
  std::vector<std::string> names() const override;
  torch::Tensor apply(const std::string& name, const torch::Tensor& images,
                      const torch::Tensor& levels, torch::Generator& generator) override;
};

}  // namespace gear::plugins::augmentations
