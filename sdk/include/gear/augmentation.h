#pragma once

/// @file
/// Augmentation plugins transform whole batches on the training device.

#include <torch/types.h>

#include <vector>

#include "gear/component_kind.h"

namespace gear {

/// The output of an augmentation for one batch.
struct AugmentedBatch {
  /// One or more views, each [N, C, H, W], uint8 or float in [0, 1], on the input's device.
  /// views[0] feeds the classification loss; all views feed the consistency loss.
  std::vector<torch::Tensor> views;
  /// Weight λ of the Jensen-Shannon consistency loss over the views (0: none).
  double consistency_weight = 0.0;
};

/// A batched augmentation policy. Called from the host's data thread: implementations must not
/// keep per-call state outside the arguments, and must draw every random number from `generator`
/// so runs are repeatable.
class Augmentation {
 public:
  virtual ~Augmentation() = default;
  /// Augments `images` (uint8 [N, C, H, W], borrowed, on the training device). `generator` is
  /// borrowed for the call and lives on the images' device type.
  virtual AugmentedBatch augment(const torch::Tensor& images, torch::Generator& generator) = 0;
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::Augmentation, "augmentation",
                    "augments training batches: a stage's augmentation = \"...\"");
