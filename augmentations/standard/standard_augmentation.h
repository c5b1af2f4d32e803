#pragma once

/// @file
/// The standard CIFAR augmentation: random crop from a zero-padded image, random horizontal flip.

#include <gear/augmentation.h>
#include <gear/config.h>

#include <cstdint>

namespace gear::plugins::augmentations {

class StandardAugmentation : public Augmentation {
 public:
  explicit StandardAugmentation(const Config& options);
  /// `padding` (int >= 0), `crop` (bool), `flip` (bool).
  static OptionSchema schema();

  /// One view of the same shape and dtype. Random numbers are drawn in a fixed order (row
  /// offsets, column offsets, flip flags), each one per sample, so runs repeat.
  AugmentedBatch augment(const torch::Tensor& images, torch::Generator& generator) override;

 private:
  int64_t padding_;
  bool crop_;
  bool flip_;
};

}  // namespace gear::plugins::augmentations
