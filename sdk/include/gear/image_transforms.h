#pragma once

/// @file
/// Named, batched image transforms that a plugin offers to tools: the corruptions of the
/// robustness suite, AugMix's operations. The Python module's gear.corrupt and gear.ops reach
/// the plugins' own kernels through this kind, so a tool never compiles a plugin's code in.

#include <torch/types.h>

#include <string>
#include <vector>

#include "gear/component_kind.h"

namespace gear {

/// A family of transforms selected by name.
class ImageTransforms {
 public:
  virtual ~ImageTransforms() = default;
  /// The transforms' names, in the family's own order.
  virtual std::vector<std::string> names() const = 0;
  /// Applies transform `name` to uint8 images [N, C, H, W] (borrowed, any device the family
  /// supports) at `levels`: a 1-element tensor for the whole batch or one value per image, in
  /// the transform's own unit (a corruption's severity, an op's magnitude). Random draws come
  /// from `generator` (borrowed), so the same seed gives the same result. Returns new uint8
  /// images of the same shape. Throws std::invalid_argument for an unknown name or levels that
  /// do not fit.
  virtual torch::Tensor apply(const std::string& name, const torch::Tensor& images,
                              const torch::Tensor& levels, torch::Generator& generator) = 0;
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::ImageTransforms, "image_transforms",
                    "named batched image transforms offered to tools (gear.corrupt, gear.ops)");
