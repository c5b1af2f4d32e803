#include "gear/augmentation.h"

#include <gtest/gtest.h>

#include "gear/host/device.h"
#include "test_support.h"

namespace gear::plugins::augmentations {
namespace {

std::shared_ptr<Augmentation> standard(const std::vector<std::pair<std::string, Value>>& values) {
  const auto& registry = test::real_plugins();
  return registry.create<Augmentation>(
      "standard", test::make_config(registry.find("standard")->info.schema, values, "aug"));
}

// A known image: pixel (c, y, x) = 10*y + x + 100*c (mod 256), distinct per position.
torch::Tensor known_images(int64_t n) {
  auto y = torch::arange(8).view({1, 1, 8, 1});
  auto x = torch::arange(6).view({1, 1, 1, 6});
  auto c = torch::arange(2).view({1, 2, 1, 1});
  auto img = (10 * y + x + 100 * c).remainder(256).to(torch::kUInt8);
  return img.expand({n, 2, 8, 6}).contiguous();
}

TEST(StandardAugmentation, CropWithoutFlipIsAShiftedWindowOfTheZeroPaddedImage) {
  auto aug = standard({{"flip", Value(false)}, {"padding", Value(int64_t{2})}});
  auto images = known_images(64);
  torch::Generator g = host::make_generator(torch::kCPU, 5);
  auto out = aug->augment(images, g).views.at(0);
  ASSERT_EQ(out.sizes(), images.sizes());
  ASSERT_EQ(out.scalar_type(), torch::kUInt8);
  auto padded = torch::constant_pad_nd(images, {2, 2, 2, 2}, 0);
  int distinct_offsets = 0;
  for (int64_t i = 0; i < 64; ++i) {
    // Each output must equal exactly one of the 25 windows of its padded image.
    int matches = 0;
    for (int64_t dy = 0; dy <= 4; ++dy)
      for (int64_t dx = 0; dx <= 4; ++dx)
        if (torch::equal(out[i], padded[i].slice(1, dy, dy + 8).slice(2, dx, dx + 6))) {
          ++matches;
          if (dy != 2 || dx != 2) ++distinct_offsets;
        }
    EXPECT_EQ(matches, 1) << "sample " << i;
  }
  EXPECT_GT(distinct_offsets, 40);  // offsets really vary per sample
}

TEST(StandardAugmentation, FlipOnlyMirrorsAboutHalfTheBatch) {
  auto aug = standard({{"crop", Value(false)}});
  auto images = known_images(200);
  torch::Generator g = host::make_generator(torch::kCPU, 9);
  auto out = aug->augment(images, g).views.at(0);
  int flipped = 0;
  for (int64_t i = 0; i < 200; ++i) {
    bool same = torch::equal(out[i], images[i]);
    bool mirrored = torch::equal(out[i], images[i].flip({2}));
    EXPECT_TRUE(same || mirrored) << i;
    flipped += mirrored ? 1 : 0;
  }
  EXPECT_GT(flipped, 70);
  EXPECT_LT(flipped, 130);
}

TEST(StandardAugmentation, SameSeedSameBatch) {
  auto aug = standard({});
  auto images = known_images(16);
  torch::Generator a = host::make_generator(torch::kCPU, 11),
                   b = host::make_generator(torch::kCPU, 11);
  EXPECT_TRUE(torch::equal(aug->augment(images, a).views[0], aug->augment(images, b).views[0]));
}

}  // namespace
}  // namespace gear::plugins::augmentations
