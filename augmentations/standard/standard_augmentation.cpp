#include "standard_augmentation.h"

#include <stdexcept>

#include "random_crop.h"

namespace gear::plugins::augmentations {

StandardAugmentation::StandardAugmentation(const Config& options)
    : padding_(options.get<int64_t>("padding")),
      crop_(options.get<bool>("crop")),
      flip_(options.get<bool>("flip")) {}

OptionSchema StandardAugmentation::schema() {
  return OptionSchema()
      .add_int("padding", kAutoPadding,
               "zero padding on each side before the random crop, in pixels; -1 = an eighth of "
               "the image side (4 px at 28 and 32 px, 8 px at 64 px)")
      .at_least(kAutoPadding)
      .add_bool("crop", true, "random crop of the original size from the padded image")
      .add_bool("flip", true, "horizontal flip with probability 0.5");
}

AugmentedBatch StandardAugmentation::augment(const torch::Tensor& images,
                                             torch::Generator& generator) {
  if (images.dim() != 4)
    throw std::invalid_argument("standard augmentation: expected images [N, C, H, W], got " +
                                std::to_string(images.dim()) + " dimensions");
  torch::Tensor out = images;
  const int64_t padding = crop_padding(padding_, images);
  if (crop_ && padding > 0) out = random_crop(out, padding, generator);
  if (flip_) {
    const auto options = torch::TensorOptions().dtype(torch::kLong).device(images.device());
    torch::Tensor flipped =
        torch::randint(0, 2, {images.size(0)}, generator, options).to(torch::kBool);
    out = torch::where(flipped.view({-1, 1, 1, 1}), out.flip({3}), out);
  }
  AugmentedBatch batch;
  batch.views = {out};
  return batch;
}

}  // namespace gear::plugins::augmentations
