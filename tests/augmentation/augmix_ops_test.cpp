// Every AugMix op against Pillow on fixed images and magnitudes (golden/ops.*, written by
// make_goldens.py): lookup-table and blend ops exactly, resampling ops within 1 per pixel.
#include "augmix_ops.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/read_gzip.h"
#include "affine.h"
#include "lut_ops.h"
#include "random_crop.h"

namespace gear::plugins::augmentations {
namespace {

struct GoldenCase {
  std::string op;
  double magnitude = 0.0;
  int64_t channels = 0, height = 0, width = 0;
  size_t input_offset = 0, output_offset = 0;
};

using test::read_gzip;

const std::vector<GoldenCase>& cases() {
  static const std::vector<GoldenCase> all = [] {
    std::vector<GoldenCase> out;
    std::ifstream in(std::string(GEAR_GOLDEN_DIR) + "/ops.txt");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      GoldenCase c;
      fields >> c.op >> c.magnitude >> c.channels >> c.height >> c.width >> c.input_offset >>
          c.output_offset;
      if (fields) out.push_back(c);
    }
    return out;
  }();
  return all;
}

const std::vector<uint8_t>& blob() {
  static const std::vector<uint8_t> bytes = read_gzip(std::string(GEAR_GOLDEN_DIR) + "/ops.bin.gz");
  return bytes;
}

torch::Tensor image_at(const GoldenCase& c, size_t offset) {
  const int64_t size = c.channels * c.height * c.width;
  if (offset + size > blob().size()) throw std::runtime_error("golden blob too short");
  return torch::from_blob(const_cast<uint8_t*>(blob().data() + offset),
                          {1, c.channels, c.height, c.width}, torch::kUInt8)
      .clone();
}

bool resamples(const std::string& op) {
  static const std::set<std::string> kResampling = {"rotate", "shear_x", "shear_y", "translate_x",
                                                    "translate_y"};
  return kResampling.count(op) != 0;
}

TEST(AugMixOps, MatchPillowOnEveryGoldenCase) {
  ASSERT_GT(cases().size(), 200u) << "golden data missing: run tests/augmentation/make_goldens.py";
  std::set<std::string> covered;
  int64_t resampled_values = 0, resampled_off_by_one = 0;
  for (const GoldenCase& c : cases()) {
    torch::Tensor input = image_at(c, c.input_offset);
    torch::Tensor expected = image_at(c, c.output_offset);
    torch::Tensor got = ops::apply_augmix_op(c.op, input, torch::tensor({c.magnitude}));
    ASSERT_EQ(got.sizes(), expected.sizes());
    torch::Tensor diff = (got.to(torch::kInt) - expected.to(torch::kInt)).abs();
    const int max_diff = diff.max().item<int>();
    const std::string where = c.op + "(" + std::to_string(c.magnitude) + ") on " +
                              std::to_string(c.channels) + "x" + std::to_string(c.height) + "x" +
                              std::to_string(c.width);
    if (resamples(c.op)) {
      EXPECT_LE(max_diff, 1) << where;
      resampled_values += diff.numel();
      resampled_off_by_one += diff.gt(0).sum().item<int64_t>();
    } else {
      EXPECT_EQ(max_diff, 0) << where << ": " << diff.gt(0).sum().item<int64_t>()
                             << " values differ";
    }
    covered.insert(c.op);
  }
  EXPECT_EQ(covered.size(), ops::augmix_op_names().size());
  // Off-by-one should be the rare rounding case, not a systematic shift.
  EXPECT_LT(resampled_off_by_one, resampled_values / 100);
}

TEST(AugMixOps, GenericAffineMatchesTheCpuKernel) {
  torch::manual_seed(3);
  torch::Tensor images = torch::randint(0, 256, {16, 3, 20, 24}, torch::kUInt8);
  torch::Tensor m = torch::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 0.0}, torch::kFloat64).repeat({16, 1});
  m += torch::randn({16, 6}, torch::kFloat64) *
       torch::tensor({0.2, 0.2, 3.0, 0.2, 0.2, 3.0}, torch::kFloat64);
  EXPECT_TRUE(
      torch::equal(ops::affine_bilinear(images, m), ops::affine_bilinear_generic(images, m)));
}

TEST(AugMixOps, PerSampleOpsEqualEachOpAppliedAlone) {
  torch::manual_seed(5);
  const int64_t n = static_cast<int64_t>(ops::augmix_op_names().size()) * 2;
  torch::Tensor images = torch::randint(0, 256, {n, 3, 16, 16}, torch::kUInt8);
  torch::Tensor op_ids = torch::arange(n) % static_cast<int64_t>(ops::augmix_op_names().size());
  torch::Tensor levels = torch::rand({n}, torch::kFloat64) * 2.9 + 0.1;
  torch::Tensor negate = torch::rand({n}) > 0.5;
  torch::Tensor magnitudes = ops::augmix_magnitudes(op_ids, levels, negate, 16);
  torch::Tensor batched = ops::apply_augmix_ops(images, op_ids, magnitudes);
  for (int64_t i = 0; i < n; ++i) {
    const std::string& name = ops::augmix_op_names()[op_ids[i].item<int64_t>()];
    torch::Tensor alone =
        ops::apply_augmix_op(name, images.slice(0, i, i + 1), magnitudes.slice(0, i, i + 1));
    EXPECT_TRUE(torch::equal(batched.slice(0, i, i + 1), alone)) << name;
  }
}

TEST(AugMixOps, CpuKernelMatchesTheTensorPathOnEveryOp) {
  torch::manual_seed(6);
  const auto count = static_cast<int64_t>(ops::augmix_op_names().size());
  const int64_t n = count * 8;
  for (int64_t channels : {1, 3}) {
    torch::Tensor images = torch::randint(0, 256, {n, channels, 12, 14}, torch::kUInt8);
    // A low-contrast half exercises autocontrast's and equalize's stretching.
    images.slice(0, 0, n / 2).div_(4, "floor").add_(50);
    torch::Tensor op_ids = torch::arange(n) % (count + 1) - 1;  // includes -1: untouched
    torch::Tensor magnitudes = ops::augmix_magnitudes(
        op_ids, torch::rand({n}, torch::kFloat64) * 9.9 + 0.1, torch::rand({n}) > 0.5, 14);
    torch::Tensor cpu = ops::apply_augmix_ops(images, op_ids, magnitudes);
    torch::Tensor generic = ops::apply_augmix_ops_generic(images, op_ids, magnitudes);
    EXPECT_TRUE(torch::equal(cpu, generic)) << channels << " channels";
    torch::Tensor untouched = (op_ids < 0).nonzero().view({-1});
    EXPECT_TRUE(torch::equal(cpu.index_select(0, untouched), images.index_select(0, untouched)));
  }
}

TEST(AugMixOps, CpuCropMatchesTheGatherPath) {
  torch::manual_seed(8);
  torch::Tensor images = torch::randint(0, 256, {40, 2, 9, 7}, torch::kUInt8);
  torch::Tensor dy = torch::randint(0, 7, {40}, torch::kLong),
                dx = torch::randint(0, 7, {40}, torch::kLong);
  // Float images take the gather path; uint8 on the CPU the row-copy kernel.
  torch::Tensor fast = crop_at(images, 3, dy, dx);
  torch::Tensor gathered = crop_at(images.to(torch::kFloat32), 3, dy, dx);
  EXPECT_TRUE(torch::equal(fast.to(torch::kFloat32), gathered));
}

TEST(RandomCrop, AutomaticPaddingIsAnEighthOfTheImageSide) {
  auto batch = [](int64_t h, int64_t w) { return torch::zeros({1, 3, h, w}, torch::kUInt8); };
  EXPECT_EQ(crop_padding(kAutoPadding, batch(28, 28)), 4);
  EXPECT_EQ(crop_padding(kAutoPadding, batch(32, 32)), 4);
  EXPECT_EQ(crop_padding(kAutoPadding, batch(64, 64)), 8);
  EXPECT_EQ(crop_padding(kAutoPadding, batch(64, 32)), 4);  // the shorter side decides
  EXPECT_EQ(crop_padding(2, batch(64, 64)), 2);
  // With 8 px of padding on a 64 px image, a crop can move the content by up to 8 pixels.
  torch::Tensor image = torch::zeros({64, 1, 64, 64}, torch::kUInt8);
  image.select(2, 32).fill_(255);
  auto gen = at::detail::createCPUGenerator(3);
  torch::Tensor cropped = random_crop(image, crop_padding(kAutoPadding, image), gen);
  torch::Tensor row = cropped.select(1, 0).amax(2).argmax(1);  // where the bright row went
  EXPECT_EQ(row.min().item<int64_t>(), 24);
  EXPECT_EQ(row.max().item<int64_t>(), 40);
}

TEST(AugMixOps, MagnitudesFollowTheReferenceMapping) {
  using ops::AugOp;
  auto magnitude = [](AugOp op, double level, bool negate, int64_t size = 32) {
    return ops::augmix_magnitudes(torch::tensor({static_cast<int64_t>(op)}), torch::tensor({level}),
                                  torch::tensor({negate}), size)
        .item<double>();
  };
  EXPECT_EQ(magnitude(AugOp::kPosterize, 2.95, false), 3.0);   // 4 - int(1.18)
  EXPECT_EQ(magnitude(AugOp::kPosterize, 2.4, false), 4.0);    // 4 - int(0.96)
  EXPECT_EQ(magnitude(AugOp::kRotate, 2.95, true), -8.0);      // -int(8.85)
  EXPECT_EQ(magnitude(AugOp::kSolarize, 2.95, false), 181.0);  // 256 - int(75.52)
  EXPECT_NEAR(magnitude(AugOp::kShearX, 2.0, true), -0.06, 1e-12);
  EXPECT_EQ(magnitude(AugOp::kTranslateX, 2.95, false), 3.0);      // int(2.95 * 32/3 / 10)
  EXPECT_EQ(magnitude(AugOp::kTranslateY, 2.95, true, 28), -2.0);  // int(2.95 * 28/3 / 10)
  EXPECT_NEAR(magnitude(AugOp::kColor, 3.0, true), 0.64, 1e-12);   // never negated
  EXPECT_EQ(magnitude(AugOp::kEqualize, 3.0, true), 0.0);
}

TEST(AugMixOps, UnknownOpNamesTheValidOnes) {
  try {
    ops::augmix_op("rotat");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rotate"), std::string::npos) << e.what();
  }
}

TEST(AugMixOps, EqualizeOfAFlatImageIsIdentityAndAutocontrastStretches) {
  torch::Tensor flat = torch::full({1, 1, 4, 4}, 77, torch::kUInt8);
  EXPECT_TRUE(torch::equal(ops::equalize(flat), flat));
  EXPECT_TRUE(torch::equal(ops::autocontrast(flat), flat));
  torch::Tensor two = torch::tensor({100, 100, 150, 150}, torch::kUInt8).view({1, 1, 2, 2});
  EXPECT_TRUE(torch::equal(ops::autocontrast(two),
                           torch::tensor({0, 0, 255, 255}, torch::kUInt8).view({1, 1, 2, 2})));
}

}  // namespace
}  // namespace gear::plugins::augmentations
