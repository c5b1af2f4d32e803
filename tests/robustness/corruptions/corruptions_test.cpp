// The corruptions keep shapes and repeat under a seed, grow stronger with severity, and match
// their definitions where those can be checked directly (noise statistics, known images).
#include "corruptions.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

namespace gear::plugins {
namespace {

torch::Generator gen(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// Smooth images with edges: a gradient, a bright square and a dark bar, per channel shifted.
torch::Tensor scene(int64_t n, int64_t c, int64_t size) {
  torch::Tensor y = torch::arange(size, torch::kFloat32).view({1, 1, size, 1});
  torch::Tensor x = torch::arange(size, torch::kFloat32).view({1, 1, 1, size});
  torch::Tensor ch = torch::arange(c, torch::kFloat32).view({1, c, 1, 1});
  torch::Tensor img = 60 + 3 * x + 2 * y + 20 * ch;
  img = torch::where((x > size / 4) & (x < size / 2) & (y > size / 4) & (y < size / 2),
                     torch::full_like(img, 230), img);
  img = torch::where((y > 3 * size / 4) & (y < 3 * size / 4 + 3), torch::full_like(img, 10), img);
  torch::Tensor shift = torch::arange(n, torch::kFloat32).view({n, 1, 1, 1}) * 3;
  return (img + shift).clamp(0, 255).to(torch::kUInt8).expand({n, c, size, size}).contiguous();
}

double mean_change(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().mean().item<double>();
}

const std::set<std::string> kDeterministic = {"defocus_blur", "zoom_blur", "brightness",
                                              "contrast",     "pixelate",  "jpeg_compression"};

TEST(Corruptions, NamesAreTheReferenceFifteenInOrder) {
  const std::vector<std::string> expected = {"gaussian_noise",
                                             "shot_noise",
                                             "impulse_noise",
                                             "defocus_blur",
                                             "glass_blur",
                                             "motion_blur",
                                             "zoom_blur",
                                             "snow",
                                             "frost",
                                             "fog",
                                             "brightness",
                                             "contrast",
                                             "elastic_transform",
                                             "pixelate",
                                             "jpeg_compression"};
  EXPECT_EQ(corruptions::names(), expected);
}

TEST(Corruptions, EveryCorruptionKeepsShapeAndRepeatsUnderItsSeed) {
  for (auto [c, size] : std::vector<std::pair<int64_t, int64_t>>{{1, 28}, {3, 32}, {3, 64}}) {
    torch::Tensor images = scene(4, c, size);
    for (const auto& name : corruptions::names())
      for (int severity : {1, 3, 5}) {
        const std::string where = name + " s" + std::to_string(severity) + " " + std::to_string(c) +
                                  "x" + std::to_string(size);
        torch::Generator a = gen(1), b = gen(1), other = gen(2);
        torch::Tensor out = corruptions::corrupt(name, images, severity, a);
        ASSERT_EQ(out.sizes(), images.sizes()) << where;
        ASSERT_EQ(out.scalar_type(), torch::kUInt8) << where;
        EXPECT_TRUE(torch::equal(out, corruptions::corrupt(name, images, severity, b))) << where;
        const bool same_other =
            torch::equal(out, corruptions::corrupt(name, images, severity, other));
        EXPECT_EQ(same_other, kDeterministic.count(name) == 1) << where;
      }
  }
}

TEST(Corruptions, SeverityFiveChangesImagesMoreThanSeverityOne) {
  torch::Tensor images = scene(16, 3, 32);
  for (const auto& name : corruptions::names()) {
    // The reference's elastic table trades a large random affine at severity 1 for a smaller
    // one plus displacement at 5, so its mean change is not monotone.
    if (name == "elastic_transform") continue;
    torch::Generator g1 = gen(3), g5 = gen(3);
    const double low = mean_change(corruptions::corrupt(name, images, 1, g1), images);
    const double high = mean_change(corruptions::corrupt(name, images, 5, g5), images);
    EXPECT_GT(high, low) << name << ": severity 1 " << low << ", severity 5 " << high;
    EXPECT_GT(high, 0.5) << name;
  }
}

TEST(Corruptions, GaussianNoiseHasTheTableSigma) {
  torch::Tensor grey = torch::full({64, 3, 32, 32}, 128, torch::kUInt8);
  torch::Generator g = gen(4);
  torch::Tensor out = corruptions::corrupt("gaussian_noise", grey, 3, g).to(torch::kFloat64);
  // sigma 0.08 at 32 px; truncation to uint8 shifts the mean by -0.5 and adds 1/12 variance.
  const double sd = ((out - 128) / 255).std().item<double>();
  EXPECT_NEAR(sd, std::sqrt(0.08 * 0.08 + 1.0 / (12 * 255.0 * 255.0)), 0.002);
  EXPECT_NEAR(((out - 128) / 255).mean().item<double>(), -0.5 / 255, 0.002);
  torch::Tensor big = torch::full({16, 3, 64, 64}, 128, torch::kUInt8);
  torch::Tensor out64 = corruptions::corrupt("gaussian_noise", big, 3, g).to(torch::kFloat64);
  EXPECT_NEAR(((out64 - 128) / 255).std().item<double>(), 0.12, 0.003);  // Tiny-ImageNet-C table
}

TEST(Corruptions, ImpulseNoiseHitsTheTableFractionHalfSaltHalfPepper) {
  torch::Tensor grey = torch::full({64, 3, 32, 32}, 128, torch::kUInt8);
  torch::Generator g = gen(5);
  torch::Tensor out = corruptions::corrupt("impulse_noise", grey, 4, g);
  const double hit = (out != 128).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(hit, 0.05, 0.003);
  const double salt = (out == 255).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(salt / hit, 0.5, 0.03);
}

TEST(Corruptions, ShotNoiseIsPoissonAtTheTableRate) {
  torch::Tensor grey = torch::full({64, 3, 32, 32}, 102, torch::kUInt8);  // x = 0.4
  torch::Generator g = gen(6);
  torch::Tensor out = corruptions::corrupt("shot_noise", grey, 5, g).to(torch::kFloat64) / 255;
  // Poisson(0.4 c) / c with c = 50: mean 0.4, variance 0.4 / 50 (plus truncation's 1/12 LSB^2).
  EXPECT_NEAR(out.mean().item<double>(), 0.4 - 0.5 / 255, 0.003);
  EXPECT_NEAR(out.var().item<double>(), 0.4 / 50 + 1.0 / (12 * 255.0 * 255.0), 0.0006);
}

// Every severity of the three noise tables, at both image sizes (32 px and 64 px tables), from
// the statistics of ~200k noisy values of a flat image; each expected value is the table's
// definition with the uint8 truncation's 1/12 LSB^2 added.
struct NoiseTable {
  const char* name;
  std::vector<double> small, large;
};

torch::Tensor flat_batch(int64_t size, int value) {
  const int64_t n = size >= 48 ? 16 : 64;
  return torch::full({n, 3, size, size}, value, torch::kUInt8);
}

// The variance of uint8(255 min(1, k / c)) / 255 for k ~ Poisson(x c), summed over the pmf: at
// c = 250 the truncation steps are correlated with k and add ~4 % to the plain 0.4 / c.
double truncated_poisson_variance(double x, double c) {
  const double lambda = x * c;
  double mean = 0.0, square = 0.0;
  for (int64_t k = 0; k < static_cast<int64_t>(lambda + 40 * std::sqrt(lambda) + 40); ++k) {
    const double p = std::exp(k * std::log(lambda) - lambda - std::lgamma(k + 1.0));
    const double v = std::floor(std::min(1.0, k / c) * 255 + 1e-9) / 255;
    mean += p * v;
    square += p * v * v;
  }
  return square - mean * mean;
}

TEST(Corruptions, EverySeverityOfTheNoiseTables) {
  const double lsb = 1.0 / (12 * 255.0 * 255.0);
  const NoiseTable gaussian{
      "gaussian_noise", {0.04, 0.06, 0.08, 0.09, 0.10}, {0.04, 0.08, 0.12, 0.15, 0.18}};
  const NoiseTable shot{"shot_noise", {500, 250, 100, 75, 50}, {250, 100, 50, 30, 15}};
  const NoiseTable impulse{
      "impulse_noise", {0.01, 0.02, 0.03, 0.05, 0.07}, {0.01, 0.02, 0.05, 0.08, 0.14}};
  for (int64_t size : {32, 64}) {
    for (int severity = 1; severity <= 5; ++severity) {
      const auto s = static_cast<size_t>(severity - 1);
      const std::string where =
          "size " + std::to_string(size) + " severity " + std::to_string(severity);
      torch::Generator g = gen(100 + severity + size);
      {
        const double sigma = (size < 48 ? gaussian.small : gaussian.large)[s];
        torch::Tensor out =
            corruptions::corrupt("gaussian_noise", flat_batch(size, 128), severity, g)
                .to(torch::kFloat64);
        // Clipping at 0 and 1 (the grey is 2.8 sigma away at most) trims < 1 % of the spread.
        const double sd = ((out - 128) / 255).std().item<double>();
        EXPECT_NEAR(sd / std::sqrt(sigma * sigma + lsb), 1.0, 0.02) << "gaussian " << where;
      }
      {
        const double c = (size < 48 ? shot.small : shot.large)[s];
        torch::Tensor out = corruptions::corrupt("shot_noise", flat_batch(size, 102), severity, g)
                                .to(torch::kFloat64) /
                            255;
        EXPECT_NEAR(out.var().item<double>() / truncated_poisson_variance(0.4, c), 1.0, 0.02)
            << "shot " << where;
      }
      {
        const double amount = (size < 48 ? impulse.small : impulse.large)[s];
        torch::Tensor out =
            corruptions::corrupt("impulse_noise", flat_batch(size, 128), severity, g);
        const double hit = (out != 128).to(torch::kFloat64).mean().item<double>();
        EXPECT_NEAR(hit / amount, 1.0, 0.05) << "impulse " << where;
      }
    }
  }
}

TEST(Corruptions, DefinitionsOnKnownImages) {
  torch::Generator g = gen(7);
  torch::Tensor flat = torch::full({2, 3, 32, 32}, 90, torch::kUInt8);
  // Averaging filters and contrast towards the mean leave a flat image flat.
  for (const std::string name : {"defocus_blur", "zoom_blur", "contrast", "pixelate"})
    EXPECT_LE(mean_change(corruptions::corrupt(name, flat, 5, g), flat), 1.0) << name;
  EXPECT_LE(mean_change(corruptions::corrupt("jpeg_compression", flat, 5, g), flat), 1.0);
  // Brightness raises HSV value by 0.3 at severity 5: a grey pixel 90 becomes 90 + 76.5.
  torch::Tensor bright = corruptions::corrupt("brightness", flat, 5, g);
  EXPECT_EQ(bright[0][0][0][0].item<int>(), static_cast<int>(90 + 0.3 * 255));
  // A coloured pixel keeps its hue and saturation: channels scale together.
  torch::Tensor colour = torch::tensor({200, 100, 50}, torch::kUInt8)
                             .view({1, 3, 1, 1})
                             .expand({1, 3, 8, 8})
                             .contiguous();
  torch::Tensor shifted = corruptions::corrupt("brightness", colour, 1, g).to(torch::kFloat64);
  const double scale = (200.0 / 255 + 0.05) / (200.0 / 255);
  EXPECT_NEAR(shifted[0][1][0][0].item<double>(), std::floor(100 * scale), 1.0);
  // Contrast: (x - mean) * c + mean per channel; two halves 50 / 150 at c = 0.15 (severity 5).
  torch::Tensor halves = torch::full({1, 1, 32, 32}, 50, torch::kUInt8);
  halves.slice(3, 16, 32).fill_(150);
  torch::Tensor low = corruptions::corrupt("contrast", halves, 5, g);
  EXPECT_NEAR(low[0][0][0][0].item<int>(), 100 - 50 * 0.15, 1.0);
  EXPECT_NEAR(low[0][0][0][31].item<int>(), 100 + 50 * 0.15, 1.0);
  // Pixelate keeps the mean of a blocky image and removes detail finer than its cells.
  torch::Tensor scenes = scene(2, 3, 32);
  torch::Tensor pix = corruptions::corrupt("pixelate", scenes, 5, g);
  EXPECT_NEAR(pix.to(torch::kFloat64).mean().item<double>(),
              scenes.to(torch::kFloat64).mean().item<double>(), 2.0);
}

TEST(Corruptions, BadArgumentsAreNamed) {
  torch::Generator g = gen(8);
  torch::Tensor images = scene(1, 3, 32);
  try {
    corruptions::corrupt("gaussian_nois", images, 1, g);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("gaussian_noise"), std::string::npos) << e.what();
  }
  EXPECT_THROW(corruptions::corrupt("fog", images, 6, g), std::invalid_argument);
  EXPECT_THROW(corruptions::corrupt("fog", images.to(torch::kFloat32), 1, g),
               std::invalid_argument);
  EXPECT_THROW(corruptions::corrupt("fog", scene(1, 2, 32), 1, g), std::invalid_argument);
}

}  // namespace
}  // namespace gear::plugins
