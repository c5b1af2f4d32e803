#include "augmix_op_transforms.h"

#include <stdexcept>

#include "augmix_ops.h"

namespace gear::plugins::augmentations {

std::vector<std::string> AugMixOpTransforms::names() const { return ops::augmix_op_names(); }

torch::Tensor AugMixOpTransforms::apply(const std::string& name, const torch::Tensor& images,
                                        const torch::Tensor& levels, torch::Generator&) {
  if (levels.numel() != 1 && levels.numel() != images.size(0))
    throw std::invalid_argument(name + ": " + std::to_string(levels.numel()) + " magnitudes for " +
                                std::to_string(images.size(0)) +
                                " images (give one, or one per image)");
  return ops::apply_augmix_op(name, images, levels);
}

}  // namespace gear::plugins::augmentations
