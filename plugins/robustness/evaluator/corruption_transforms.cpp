#include "corruption_transforms.h"

#include <cmath>
#include <stdexcept>

#include "corruptions.h"

namespace gear::plugins {

std::vector<std::string> CorruptionTransforms::names() const { return corruptions::names(); }

torch::Tensor CorruptionTransforms::apply(const std::string& name, const torch::Tensor& images,
                                          const torch::Tensor& levels,
                                          torch::Generator& generator) {
  if (levels.numel() != 1)
    throw std::invalid_argument(name + ": one severity for the batch, got " +
                                std::to_string(levels.numel()) + " values");
  const double severity = levels.item<double>();
  if (severity != std::floor(severity))
    throw std::invalid_argument(name + ": severity must be a whole number 1..5, got " +
                                std::to_string(severity));
  return corruptions::corrupt(name, images, static_cast<int>(severity), generator);
}

}  // namespace gear::plugins
