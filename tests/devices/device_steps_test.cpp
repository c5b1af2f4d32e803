// The device steps against their definitions: codecs (exactness of the lossless ones, error
// ordering of the lossy ones), the colour and tone formulas on known pixels, filters on constant
// images, edges and impulses, sensor-noise statistics, exact integer shifts, seeding, shapes and
// the rejection of bad input and options.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "codec_steps.h"
#include "color_steps.h"
#include "filter_steps.h"
#include "geometry_steps.h"

namespace gear::plugins::devices {
namespace {

using Overrides = std::vector<std::pair<std::string, Value>>;

torch::Generator gen(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// A Config as the host builds it: every option of `schema` at its default, then `values`
// (which must be declared) as if the user wrote them.
Config make_config(const OptionSchema& schema, const Overrides& values = {}) {
  Config config("device.step", {"device.toml", 1, 1});
  for (const auto& spec : schema.options())
    if (spec.default_value) config.set(spec.name, *spec.default_value, {}, false);
  for (const auto& [name, value] : values) {
    if (schema.find(name) == nullptr) throw std::logic_error("test: no option " + name);
    config.set(name, value, {"device.toml", 2, 1}, true);
  }
  return config;
}

template <typename Step>
std::shared_ptr<DeviceStep> make(const Overrides& values = {}) {
  return std::make_shared<Step>(make_config(Step::schema(), values));
}

Value i64(int64_t v) { return Value(v); }
Value f64(double v) { return Value(v); }
Value str(const char* v) { return Value(std::string(v)); }
Value floats(std::vector<double> v) { return Value(std::move(v)); }

torch::Tensor run(DeviceStep& step, const torch::Tensor& images, uint64_t seed = 1) {
  torch::Generator g = gen(seed);
  return step.apply(images, g);
}

// Smooth, colourful images with edges: ramps, a sinusoid, a bright square, per channel shifted.
torch::Tensor scene(int64_t n, int64_t c, int64_t h, int64_t w) {
  torch::Tensor y = torch::arange(h, torch::kFloat).view({1, 1, h, 1});
  torch::Tensor x = torch::arange(w, torch::kFloat).view({1, 1, 1, w});
  torch::Tensor ch = torch::arange(c, torch::kFloat).view({1, c, 1, 1});
  torch::Tensor img = 90 + 2 * x - 1.5 * y + 40 * torch::sin(x / 4 + 2 * ch) * torch::cos(y / 6);
  img = torch::where((x > w / 4) & (x < w / 2) & (y > h / 3) & (y < 2 * h / 3), 200 - 60 * ch, img);
  torch::Tensor shift = torch::arange(n, torch::kFloat).view({n, 1, 1, 1}) * 5;
  return (img + shift).clamp(0, 255).round().to(torch::kUInt8).contiguous();
}

torch::Tensor random_images(int64_t n, int64_t c, int64_t h, int64_t w, uint64_t seed = 3) {
  return torch::randint(0, 256, {n, c, h, w}, gen(seed), torch::kLong).to(torch::kUInt8);
}

torch::Tensor flat(int64_t n, int64_t c, int64_t h, int64_t w, int64_t value) {
  return torch::full({n, c, h, w}, value, torch::kUInt8);
}

double mean_abs(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().mean().item<double>();
}

int value_at(const torch::Tensor& t, int64_t n, int64_t c, int64_t y, int64_t x) {
  return t.index({n, c, y, x}).item<int>();
}

// Every step with options that make it do something (and draw from the generator where it can).
std::vector<std::pair<std::string, std::function<std::shared_ptr<DeviceStep>()>>> all_steps() {
  return {
      {"jpeg",
       [] {
         return make<JpegStep>({{"quality", i64(50)}});
       }},
      {"webp", [] { return make<WebpStep>(); }},
      {"webp_lossless",
       [] {
         return make<WebpStep>({{"lossless", Value(true)}});
       }},
      {"png", [] { return make<PngStep>(); }},
      {"resize", [] { return make<ResizeStep>(); }},
      {"resize_area_bicubic",
       [] {
         return make<ResizeStep>({{"down", str("area")}, {"up", str("bicubic")}});
       }},
      {"white_balance",
       [] {
         return make<WhiteBalanceStep>({{"gains", floats({1.2, 1.0, 0.8})}, {"jitter", f64(0.1)}});
       }},
      {"color_matrix",
       [] {
         return make<ColorMatrixStep>(
             {{"matrix", floats({1.2, -0.1, -0.1, -0.1, 1.2, -0.1, -0.1, -0.1, 1.2})}});
       }},
      {"gamma",
       [] {
         return make<GammaStep>({{"gamma", f64(2.2)}});
       }},
      {"tone_curve", [] { return make<ToneCurveStep>(); }},
      {"tone_curve_inverse",
       [] {
         return make<ToneCurveStep>({{"strength", f64(-0.7)}});
       }},
      {"denoise",
       [] {
         return make<DenoiseStep>({{"sigma", f64(5.0)}});
       }},
      {"unsharp",
       [] {
         return make<UnsharpStep>({{"amount", f64(2.0)}});
       }},
      {"sensor_noise", [] { return make<SensorNoiseStep>(); }},
      {"shift",
       [] {
         return make<ShiftStep>({{"dx", f64(0.3)}, {"dy", f64(-1.5)}, {"jitter", f64(2)}});
       }},
      {"crop",
       [] {
         return make<CropStep>({{"fraction", f64(0.3)}, {"random", Value(true)}});
       }},
      {"to_rgb", [] { return make<ToRgbStep>(); }},
      {"to_grey", [] { return make<ToGreyStep>(); }},
  };
}

// ---- every step -------------------------------------------------------------------------

TEST(DeviceSteps, EveryStepReturnsUint8OfTheSameSizeAndItsChannelCount) {
  for (const auto& [name, factory] : all_steps()) {
    auto step = factory();
    for (int64_t c : {1, 3})
      for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{9, 13}, {1, 1}, {2, 5}}) {
        const torch::Tensor images = random_images(2, c, h, w);
        const torch::Tensor out = run(*step, images);
        const std::string where =
            name + " C=" + std::to_string(c) + " " + std::to_string(h) + "x" + std::to_string(w);
        EXPECT_EQ(out.scalar_type(), torch::kUInt8) << where;
        EXPECT_EQ(out.sizes().vec(), (std::vector<int64_t>{2, step->output_channels(c), h, w}))
            << where;
        EXPECT_TRUE(images.equal(random_images(2, c, h, w))) << where << ": input changed";
      }
    // A non-contiguous view is as good as a packed tensor.
    const torch::Tensor packed = random_images(3, 3, 8, 6);
    const torch::Tensor view = packed.permute({0, 1, 3, 2}).contiguous().permute({0, 1, 3, 2});
    EXPECT_TRUE(run(*step, view, 5).equal(run(*step, packed, 5))) << name;
    // An empty batch is a batch.
    EXPECT_EQ(run(*step, random_images(0, 3, 4, 4)).size(0), 0) << name;
  }
}

TEST(DeviceSteps, EveryStepRepeatsUnderItsSeedAndBatchedEqualsOneImageAtATime) {
  const torch::Tensor images = scene(4, 3, 12, 10);
  for (const auto& [name, factory] : all_steps()) {
    auto step = factory();
    const torch::Tensor batched = run(*step, images, 11);
    EXPECT_TRUE(batched.equal(run(*step, images, 11))) << name;
    torch::Generator g = gen(11);
    std::vector<torch::Tensor> one_by_one;
    for (int64_t i = 0; i < images.size(0); ++i)
      one_by_one.push_back(step->apply(images.narrow(0, i, 1), g));
    EXPECT_TRUE(batched.equal(torch::cat(one_by_one, 0))) << name;
  }
}

TEST(DeviceSteps, ResultsDoNotDependOnTheNumberOfThreads) {
  const torch::Tensor images = scene(6, 3, 24, 20);
  const int threads = at::get_num_threads();
  for (const auto& [name, factory] : all_steps()) {
    auto step = factory();
    at::set_num_threads(1);
    const torch::Tensor one = run(*step, images, 4);
    at::set_num_threads(std::max(2, threads));
    EXPECT_TRUE(one.equal(run(*step, images, 4))) << name;
  }
  at::set_num_threads(threads);
}

TEST(DeviceSteps, CudaImagesComeBackOnCudaAndMatchTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Tensor images = scene(3, 3, 20, 24);
  const std::vector<std::string> random = {"white_balance", "sensor_noise", "shift", "crop"};
  for (const auto& [name, factory] : all_steps()) {
    auto step = factory();
    for (int64_t c : {1, 3}) {
      const torch::Tensor cpu_images = images.narrow(1, 0, c).contiguous();
      torch::Generator g = torch::globalContext().defaultGenerator(torch::kCUDA);
      g.set_current_seed(8);
      const torch::Tensor out = step->apply(cpu_images.to(torch::kCUDA), g);
      EXPECT_TRUE(out.is_cuda()) << name;
      EXPECT_EQ(out.scalar_type(), torch::kUInt8) << name;
      EXPECT_EQ(out.sizes().vec(), (std::vector<int64_t>{3, step->output_channels(c), 20, 24}))
          << name;
      if (std::find(random.begin(), random.end(), name) != random.end()) continue;
      // The same arithmetic, up to the GPU's summation order and TF32 in convolutions and
      // products, which can move a value across a rounding boundary.
      const torch::Tensor diff =
          (out.cpu().to(torch::kInt) - run(*step, cpu_images).to(torch::kInt)).abs();
      EXPECT_LE(diff.max().item<int>(), 3) << name << " C=" << c;
      EXPECT_LT(diff.to(torch::kFloat).mean().item<float>(), 0.5f) << name << " C=" << c;
    }
  }
}

TEST(DeviceSteps, RandomStepsDependOnTheSeed) {
  const torch::Tensor images = scene(4, 3, 16, 16);
  for (const std::string name : {"white_balance", "sensor_noise", "shift", "crop"})
    for (const auto& [step_name, factory] : all_steps())
      if (step_name == name) {
        auto step = factory();
        EXPECT_FALSE(run(*step, images, 1).equal(run(*step, images, 2))) << name;
      }
}

TEST(DeviceSteps, LosslessStepsReturnTheirInputAndLossyOnesSaySo) {
  const std::vector<std::pair<std::string, std::shared_ptr<DeviceStep>>> identities = {
      {"png", make<PngStep>()},
      {"webp lossless", make<WebpStep>({{"lossless", Value(true)}})},
      {"white_balance", make<WhiteBalanceStep>()},
      {"color_matrix", make<ColorMatrixStep>()},
      {"gamma", make<GammaStep>()},
      {"tone_curve 0", make<ToneCurveStep>({{"strength", f64(0)}})},
      {"unsharp 0", make<UnsharpStep>({{"amount", f64(0)}})},
      {"sensor_noise off", make<SensorNoiseStep>({{"full_well", f64(0)}, {"read", f64(0)}})},
      {"resize 1", make<ResizeStep>({{"scale", f64(1.0)}, {"down", str("bicubic")}})},
      {"shift", make<ShiftStep>()},
      {"crop 0", make<CropStep>({{"fraction", f64(0)}, {"random", Value(true)}})},
  };
  for (const auto& [name, step] : identities) {
    EXPECT_TRUE(step->lossless()) << name;
    for (int64_t c : {1, 3}) {
      const torch::Tensor images = random_images(2, c, 7, 5);
      EXPECT_TRUE(run(*step, images).equal(images)) << name << " C=" << c;
    }
  }
  for (const auto& [name, factory] : all_steps())
    EXPECT_EQ(factory()->lossless(), name == "png" || name == "webp_lossless") << name;
}

TEST(DeviceSteps, BadImagesAreRejected) {
  for (const auto& [name, factory] : all_steps()) {
    auto step = factory();
    for (const torch::Tensor& bad :
         {torch::rand({2, 3, 8, 8}), random_images(2, 3, 8, 8).to(torch::kInt),
          random_images(2, 2, 8, 8), random_images(2, 4, 8, 8), random_images(1, 3, 8, 8)[0],
          random_images(2, 3, 0, 8), torch::Tensor()})
      EXPECT_THROW(run(*step, bad), std::invalid_argument) << name;
  }
}

TEST(DeviceSteps, OptionsDeclareTheirBoundsAndDirectConstructionIsChecked) {
  const OptionSchema jpeg = JpegStep::schema();
  ASSERT_NE(jpeg.find("quality"), nullptr);
  EXPECT_EQ(*jpeg.find("quality")->min, 1);
  EXPECT_EQ(*jpeg.find("quality")->max, 100);
  EXPECT_EQ(jpeg.find("subsampling")->choices, (std::vector<std::string>{"444", "422", "420"}));
  EXPECT_EQ(std::get<int64_t>(*jpeg.find("quality")->default_value), 85);
  EXPECT_EQ(*GammaStep::schema().find("gamma")->min, 0.2);
  EXPECT_EQ(*ResizeStep::schema().find("scale")->max, 1.0);
  EXPECT_EQ(ResizeStep::schema().find("up")->choices.size(), 3u);
  EXPECT_EQ(*CropStep::schema().find("fraction")->max, 0.4);

  JpegOptions quality_zero;
  quality_zero.quality = 0;
  EXPECT_THROW(JpegStep{quality_zero}, std::invalid_argument);
  JpegOptions subsampling;
  subsampling.subsampling = "411";
  EXPECT_THROW(JpegStep{subsampling}, std::invalid_argument);
  EXPECT_THROW(PngStep(PngOptions{10}), std::invalid_argument);
  EXPECT_THROW(GammaStep(GammaOptions{0.1}), std::invalid_argument);
  EXPECT_THROW(DenoiseStep(DenoiseOptions{0.0}), std::invalid_argument);
  EXPECT_THROW((WhiteBalanceStep(WhiteBalanceOptions{{1.0, 1.0}, 0.0})), std::invalid_argument);
  EXPECT_THROW((WhiteBalanceStep(WhiteBalanceOptions{{1.0, 0.0, 1.0}, 0.0})),
               std::invalid_argument);
  // Checks a schema cannot express are reported at the option's position in the file.
  EXPECT_THROW(make<WhiteBalanceStep>({{"gains", floats({1.0, 2.0})}}), ConfigError);
  EXPECT_THROW(make<ColorMatrixStep>({{"matrix", floats({1, 0, 0, 1})}}), ConfigError);
  EXPECT_THROW(make<DenoiseStep>({{"sigma", f64(0.0)}}), ConfigError);
  EXPECT_EQ(ToGreyStep().output_channels(3), 1);
  EXPECT_EQ(ToRgbStep().output_channels(1), 3);
  EXPECT_EQ(JpegStep(JpegOptions{}).output_channels(1), 1);
}

// ---- codecs -----------------------------------------------------------------------------

TEST(Jpeg, HighQualityIsNearIdentityAndErrorGrowsAsQualityFalls) {
  const torch::Tensor images = scene(2, 3, 48, 64);
  auto error_at = [&](int64_t quality, const char* subsampling) {
    auto step = make<JpegStep>({{"quality", i64(quality)}, {"subsampling", str(subsampling)}});
    return mean_abs(run(*step, images), images);
  };
  const double q100 = error_at(100, "444"), q90 = error_at(90, "444"), q50 = error_at(50, "444"),
               q10 = error_at(10, "444");
  EXPECT_LT(q100, 1.0);
  EXPECT_GT(q10, 3.0);
  EXPECT_LT(q100, q90);
  EXPECT_LT(q90, q50);
  EXPECT_LT(q50, q10);
  // Halving the chroma resolution costs colour detail on a colourful image.
  EXPECT_GT(error_at(95, "420"), error_at(95, "444"));
  EXPECT_GE(error_at(95, "420"), error_at(95, "422"));
}

TEST(Jpeg, GreyImagesAndOddSizesRoundTrip) {
  const torch::Tensor grey = scene(3, 1, 7, 5);
  auto step = make<JpegStep>({{"quality", i64(100)}});
  const torch::Tensor out = run(*step, grey);
  EXPECT_EQ(out.sizes(), grey.sizes());
  EXPECT_LT(mean_abs(out, grey), 1.5);
}

TEST(Jpeg, DecoderSettingsChangeTheResultALittle) {
  const torch::Tensor images = scene(2, 3, 40, 56);
  const torch::Tensor islow = run(*make<JpegStep>({{"quality", i64(90)}}), images);
  const torch::Tensor ifast =
      run(*make<JpegStep>({{"quality", i64(90)}, {"dct", str("ifast")}}), images);
  const torch::Tensor fl =
      run(*make<JpegStep>({{"quality", i64(90)}, {"dct", str("float")}}), images);
  EXPECT_FALSE(islow.equal(ifast));
  EXPECT_GT(mean_abs(islow, ifast), 0.0);
  EXPECT_LT(mean_abs(islow, ifast), 2.0);
  EXPECT_LT(mean_abs(islow, fl), 2.0);
  const torch::Tensor blocky =
      run(*make<JpegStep>({{"quality", i64(90)}, {"fancy_upsampling", Value(false)}}), images);
  EXPECT_FALSE(islow.equal(blocky));
  EXPECT_LT(mean_abs(islow, blocky), 5.0);
}

TEST(Png, ReturnsExactlyTheInput) {
  for (int64_t level : {0, 6, 9}) {
    auto step = make<PngStep>({{"compression", i64(level)}});
    for (const torch::Tensor& images : {random_images(3, 3, 5, 7), random_images(2, 1, 5, 7),
                                        scene(2, 3, 33, 17), random_images(1, 1, 1, 1)})
      EXPECT_TRUE(run(*step, images).equal(images)) << "level " << level;
  }
}

TEST(Webp, LosslessIsExactAndLossyIsClose) {
  auto lossless = make<WebpStep>({{"lossless", Value(true)}});
  for (const torch::Tensor& images : {random_images(2, 3, 5, 7), random_images(2, 1, 5, 7),
                                      scene(2, 3, 33, 17), scene(1, 1, 20, 30)})
    EXPECT_TRUE(run(*lossless, images).equal(images));
  const torch::Tensor images = scene(2, 3, 48, 64);
  const torch::Tensor q80 = run(*make<WebpStep>(), images);
  const torch::Tensor q5 = run(*make<WebpStep>({{"quality", i64(5)}}), images);
  EXPECT_FALSE(q80.equal(images));
  EXPECT_LT(mean_abs(q80, images), 6.0);
  EXPECT_GT(mean_abs(q5, images), mean_abs(q80, images));
  const torch::Tensor grey = scene(2, 1, 48, 64);
  EXPECT_LT(mean_abs(run(*make<WebpStep>(), grey), grey), 6.0);
}

// ---- colour and tone --------------------------------------------------------------------

TEST(Gamma, OneIsTheIdentityAndTwoSquares) {
  const torch::Tensor every_value =
      torch::arange(256, torch::kLong).to(torch::kUInt8).view({1, 1, 16, 16});
  EXPECT_TRUE(run(*make<GammaStep>(), every_value).equal(every_value));
  EXPECT_TRUE(run(*make<GammaStep>(), every_value.expand({2, 3, 16, 16}))
                  .equal(every_value.expand({2, 3, 16, 16})));
  const torch::Tensor out = run(*make<GammaStep>({{"gamma", f64(2.0)}}), every_value).view({-1});
  // 255 (v / 255)^2: 128 -> 64.25, 200 -> 156.86, 16 -> 1.004, 255 and 0 fixed.
  EXPECT_EQ(out[0].item<int>(), 0);
  EXPECT_EQ(out[16].item<int>(), 1);
  EXPECT_EQ(out[128].item<int>(), 64);
  EXPECT_EQ(out[200].item<int>(), 157);
  EXPECT_EQ(out[255].item<int>(), 255);
  for (int v = 0; v < 256; ++v)
    EXPECT_EQ(out[v].item<int>(), static_cast<int>(std::nearbyint(v * v / 255.0))) << v;
}

TEST(WhiteBalance, ScalesEachChannelByItsGainAndGreyByTheLumaGain) {
  torch::Tensor image = torch::empty({1, 3, 2, 2}, torch::kUInt8);
  image[0][0].fill_(100);
  image[0][1].fill_(50);
  image[0][2].fill_(200);
  image[0][1][1][1] = 130;
  auto step = make<WhiteBalanceStep>({{"gains", floats({1.5, 2.0, 0.5})}});
  const torch::Tensor out = run(*step, image);
  EXPECT_EQ(value_at(out, 0, 0, 0, 0), 150);
  EXPECT_EQ(value_at(out, 0, 1, 0, 0), 100);
  EXPECT_EQ(value_at(out, 0, 1, 1, 1), 255);  // 260, clamped
  EXPECT_EQ(value_at(out, 0, 2, 0, 0), 100);
  // 100 (0.299 * 1.5 + 0.587 * 2 + 0.114 * 0.5) = 167.95.
  EXPECT_EQ(value_at(run(*step, flat(1, 1, 3, 3, 100)), 0, 0, 1, 1), 168);
  // Unit gains change nothing.
  const torch::Tensor images = random_images(2, 3, 6, 6);
  EXPECT_TRUE(run(*make<WhiteBalanceStep>(), images).equal(images));
}

TEST(WhiteBalance, JitterDrawsIndependentBoundedGainsPerImageAndChannel) {
  auto step = make<WhiteBalanceStep>({{"jitter", f64(0.2)}});
  const torch::Tensor out = run(*step, flat(64, 3, 2, 2, 100), 9).to(torch::kInt);
  EXPECT_GE(out.min().item<int>(), 80);
  EXPECT_LE(out.max().item<int>(), 120);
  // Per image and per channel: the 64 x 3 gains are not all alike.
  const torch::Tensor gains = out.index({torch::indexing::Slice(), torch::indexing::Slice(), 0, 0});
  EXPECT_GT(gains.select(1, 0).to(torch::kFloat).std().item<float>(), 5.0f);
  EXPECT_FALSE(gains.select(1, 0).equal(gains.select(1, 1)));
  EXPECT_FALSE(gains.select(0, 0).equal(gains.select(0, 1)));
  // Every pixel of one image channel shares its gain.
  EXPECT_TRUE(out.amax({2, 3}).equal(out.amin({2, 3})));
}

TEST(ColorMatrix, IdentityKeepsAndPermutationSwapsChannels) {
  const torch::Tensor images = random_images(2, 3, 5, 7);
  EXPECT_TRUE(run(*make<ColorMatrixStep>(), images).equal(images));
  auto swap = make<ColorMatrixStep>({{"matrix", floats({0, 0, 1, 0, 1, 0, 1, 0, 0})}});
  EXPECT_TRUE(run(*swap, images).equal(images.flip(1)));
  auto mix = make<ColorMatrixStep>({{"matrix", floats({0.5, 0.5, 0, 0, 1, 0, 0, 0, 2})}});
  torch::Tensor pixel = torch::tensor({40, 80, 200}, torch::kUInt8).view({1, 3, 1, 1});
  const torch::Tensor out = run(*mix, pixel);
  EXPECT_EQ(value_at(out, 0, 0, 0, 0), 60);
  EXPECT_EQ(value_at(out, 0, 1, 0, 0), 80);
  EXPECT_EQ(value_at(out, 0, 2, 0, 0), 255);
  // Grey: (0.299, 0.587, 0.114) M (1, 1, 1)^T = 0.299 + 0.587 + 0.228 = 1.114; 100 -> 111.4.
  EXPECT_EQ(value_at(run(*mix, flat(1, 1, 2, 2, 100)), 0, 0, 0, 0), 111);
  const torch::Tensor grey = random_images(2, 1, 5, 7);
  EXPECT_TRUE(run(*make<ColorMatrixStep>(), grey).equal(grey));
}

TEST(ToneCurve, ZeroIsTheIdentityAndTheCurvesFollowTheirFormulas) {
  const torch::Tensor every_value =
      torch::arange(256, torch::kLong).to(torch::kUInt8).view({1, 1, 16, 16});
  EXPECT_TRUE(run(*make<ToneCurveStep>({{"strength", f64(0.0)}}), every_value).equal(every_value));
  for (double s : {0.3, 1.0, -0.5, -1.0}) {
    const torch::Tensor out =
        run(*make<ToneCurveStep>({{"strength", f64(s)}}), every_value).view({-1});
    EXPECT_EQ(out[0].item<int>(), 0) << s;
    EXPECT_EQ(out[255].item<int>(), 255) << s;
    EXPECT_EQ(out[128].item<int>(), 128) << s;  // the mid-point is fixed
    for (int v = 1; v < 256; ++v) EXPECT_GE(out[v].item<int>(), out[v - 1].item<int>()) << s;
    // s > 0 darkens the shadows and brightens the highlights; s < 0 the reverse.
    EXPECT_EQ(out[50].item<int>() < 50, s > 0) << s;
    EXPECT_EQ(out[200].item<int>() > 200, s > 0) << s;
  }
  // Full strength: the smoothstep itself, and its exact inverse.
  const torch::Tensor full = run(*make<ToneCurveStep>({{"strength", f64(1.0)}}), every_value);
  const double x = 64 / 255.0;
  EXPECT_EQ(full.view({-1})[64].item<int>(),
            static_cast<int>(std::nearbyint(255 * (3 * x * x - 2 * x * x * x))));
  for (double t : {0.05, 0.3, 0.5, 0.77, 0.99})
    EXPECT_NEAR(ToneCurveStep::curve(ToneCurveStep::curve(t, 1.0), -1.0), t, 1e-12);
  EXPECT_NEAR(ToneCurveStep::curve(0.2, 0.5), 0.5 * 0.2 + 0.5 * (3 * 0.04 - 2 * 0.008), 1e-12);
}

TEST(ChannelSteps, ToRgbReplicatesAndToGreyTakesTheLuma) {
  const torch::Tensor grey = random_images(2, 1, 4, 5);
  const torch::Tensor rgb = run(*make<ToRgbStep>(), grey);
  ASSERT_EQ(rgb.size(1), 3);
  for (int64_t c = 0; c < 3; ++c) EXPECT_TRUE(rgb.select(1, c).equal(grey.select(1, 0)));
  EXPECT_TRUE(run(*make<ToGreyStep>(), rgb).equal(grey));  // luma of (v, v, v) is v
  const torch::Tensor colour = random_images(2, 3, 4, 5);
  EXPECT_TRUE(run(*make<ToRgbStep>(), colour).equal(colour));
  EXPECT_TRUE(run(*make<ToGreyStep>(), grey).equal(grey));
  torch::Tensor pixel = torch::tensor({200, 100, 50}, torch::kUInt8).view({1, 3, 1, 1});
  // 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2.
  EXPECT_EQ(value_at(run(*make<ToGreyStep>(), pixel), 0, 0, 0, 0), 124);
}

// ---- filters and noise ------------------------------------------------------------------

TEST(Filters, ConstantImagesStayConstant) {
  for (int64_t value : {0, 1, 77, 254, 255})
    for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{16, 16}, {2, 3}, {1, 9}}) {
      const torch::Tensor images = flat(2, 3, h, w, value);
      for (double sigma : {0.3, 0.6, 5.0}) {
        EXPECT_TRUE(run(*make<DenoiseStep>({{"sigma", f64(sigma)}}), images).equal(images));
        EXPECT_TRUE(run(*make<UnsharpStep>({{"sigma", f64(sigma)}, {"amount", f64(5.0)}}), images)
                        .equal(images));
      }
    }
}

TEST(Filters, DenoiseHasTheGaussianImpulseResponse) {
  torch::Tensor impulse = flat(1, 1, 9, 9, 0);
  impulse[0][0][4][4] = 255;
  const torch::Tensor out = run(*make<DenoiseStep>({{"sigma", f64(0.6)}}), impulse);
  // Radius ceil(1.8) = 2: weights exp(-k^2 / 0.72) for k = -2..2, normalised.
  double w[3], total = 0;
  for (int k = 0; k < 3; ++k) w[k] = std::exp(-k * k / (2 * 0.36));
  total = w[0] + 2 * w[1] + 2 * w[2];
  for (double& v : w) v /= total;
  for (int dy = 0; dy <= 3; ++dy)
    for (int dx = 0; dx <= 3; ++dx) {
      const double expected = dy > 2 || dx > 2 ? 0.0 : 255 * w[dy] * w[dx];
      EXPECT_EQ(value_at(out, 0, 0, 4 + dy, 4 + dx), static_cast<int>(std::nearbyint(expected)))
          << dy << "," << dx;
      EXPECT_EQ(value_at(out, 0, 0, 4 - dy, 4 - dx), value_at(out, 0, 0, 4 + dy, 4 + dx));
    }
  // The total is kept away from the border.
  EXPECT_NEAR(out.to(torch::kDouble).sum().item<double>(), 255.0, 6.0);
}

TEST(Filters, UnsharpSteepensAnEdgeAndDenoiseSoftensIt) {
  torch::Tensor edge = flat(1, 3, 8, 16, 60);
  edge.narrow(3, 8, 8).fill_(180);
  const torch::Tensor sharp = run(*make<UnsharpStep>({{"amount", f64(1.0)}}), edge);
  EXPECT_LT(value_at(sharp, 0, 0, 3, 7), 60);   // undershoot before the edge
  EXPECT_GT(value_at(sharp, 0, 0, 3, 8), 180);  // overshoot after it
  EXPECT_GT(value_at(sharp, 0, 0, 3, 8) - value_at(sharp, 0, 0, 3, 7), 120);
  EXPECT_EQ(value_at(sharp, 0, 0, 3, 0), 60);  // far from the edge, unchanged
  const torch::Tensor soft = run(*make<DenoiseStep>({{"sigma", f64(1.0)}}), edge);
  EXPECT_GT(value_at(soft, 0, 0, 3, 7), 60);
  EXPECT_LT(value_at(soft, 0, 0, 3, 8), 180);
  // A threshold above the edge's detail leaves the image alone.
  EXPECT_TRUE(
      run(*make<UnsharpStep>({{"amount", f64(1.0)}, {"threshold", f64(120)}}), edge).equal(edge));
  // Noise is smoothed: the high frequencies of a random image lose energy.
  const torch::Tensor noise = random_images(1, 1, 32, 32);
  EXPECT_LT(run(*make<DenoiseStep>(), noise).to(torch::kFloat).std().item<float>(),
            0.8f * noise.to(torch::kFloat).std().item<float>());
}

TEST(SensorNoise, RepeatsUnderASeedAndHasTheModelsMeanAndVariance) {
  auto step = make<SensorNoiseStep>();  // full_well 2000, read 1.5
  const torch::Tensor images = flat(1, 1, 256, 256, 128);
  const torch::Tensor a = run(*step, images, 5);
  EXPECT_TRUE(a.equal(run(*step, images, 5)));
  EXPECT_FALSE(a.equal(run(*step, images, 6)));
  const torch::Tensor x = a.to(torch::kDouble);
  // Var = read^2 + 255 x / full_well (shot noise in pixel units) + 1/12 (rounding to 8 bits).
  const double expected_var = 1.5 * 1.5 + 255.0 * 128 / 2000 + 1.0 / 12;
  EXPECT_NEAR(x.mean().item<double>(), 128.0, 0.1);
  EXPECT_NEAR(x.var().item<double>(), expected_var, 0.06 * expected_var);

  // Read noise alone; then shot noise alone at a lower full well.
  const torch::Tensor r =
      run(*make<SensorNoiseStep>({{"full_well", f64(0)}, {"read", f64(3)}}), images, 7)
          .to(torch::kDouble);
  EXPECT_NEAR(r.mean().item<double>(), 128.0, 0.1);
  EXPECT_NEAR(r.var().item<double>(), 9.0 + 1.0 / 12, 0.06 * 9.0);
  const torch::Tensor s =
      run(*make<SensorNoiseStep>({{"full_well", f64(500)}, {"read", f64(0)}}), images, 7)
          .to(torch::kDouble);
  const double shot_var = 255.0 * 128 / 500 + 1.0 / 12;
  EXPECT_NEAR(s.mean().item<double>(), 128.0, 0.15);
  EXPECT_NEAR(s.var().item<double>(), shot_var, 0.06 * shot_var);

  // No noise at all is the identity; black stays black without read noise.
  const torch::Tensor scene_images = scene(2, 3, 9, 9);
  EXPECT_TRUE(run(*make<SensorNoiseStep>({{"full_well", f64(0)}, {"read", f64(0)}}), scene_images)
                  .equal(scene_images));
  const torch::Tensor black = flat(1, 3, 8, 8, 0);
  EXPECT_TRUE(run(*make<SensorNoiseStep>({{"read", f64(0)}}), black).equal(black));
}

// ---- geometry ---------------------------------------------------------------------------

TEST(Shift, IntegerShiftsMovePixelsExactly) {
  const torch::Tensor images = random_images(2, 3, 6, 9);
  using torch::indexing::None;
  using torch::indexing::Slice;
  const torch::Tensor right = run(*make<ShiftStep>({{"dx", f64(1)}}), images);
  EXPECT_TRUE(right.index({Slice(), Slice(), Slice(), Slice(1, None)})
                  .equal(images.index({Slice(), Slice(), Slice(), Slice(None, -1)})));
  EXPECT_TRUE(right.select(3, 0).equal(images.select(3, 0)));  // edge replicated
  const torch::Tensor up = run(*make<ShiftStep>({{"dy", f64(-2)}}), images);
  EXPECT_TRUE(up.index({Slice(), Slice(), Slice(None, -2)})
                  .equal(images.index({Slice(), Slice(), Slice(2, None)})));
  EXPECT_TRUE(up.select(2, 4).equal(images.select(2, 5)));
  EXPECT_TRUE(up.select(2, 5).equal(images.select(2, 5)));
  EXPECT_TRUE(run(*make<ShiftStep>(), images).equal(images));
}

TEST(Shift, HalfAPixelAveragesNeighbours) {
  // Even values, so every average is an integer and no rounding rule is involved.
  const torch::Tensor images = random_images(1, 1, 5, 8).bitwise_and(254);
  const torch::Tensor out = run(*make<ShiftStep>({{"dx", f64(0.5)}}), images);
  for (int64_t y = 0; y < 5; ++y) {
    EXPECT_EQ(value_at(out, 0, 0, y, 0), value_at(images, 0, 0, y, 0));
    for (int64_t x = 1; x < 8; ++x)
      EXPECT_EQ(value_at(out, 0, 0, y, x),
                (value_at(images, 0, 0, y, x - 1) + value_at(images, 0, 0, y, x)) / 2)
          << y << "," << x;
  }
}

TEST(Crop, ZeroIsTheIdentityAndACropDropsTheBorder) {
  const torch::Tensor images = random_images(2, 3, 7, 9);
  EXPECT_TRUE(run(*make<CropStep>({{"fraction", f64(0)}}), images).equal(images));
  EXPECT_TRUE(
      run(*make<CropStep>({{"fraction", f64(0)}, {"random", Value(true)}}), images).equal(images));
  // A one-pixel frame of 250 around 40: cutting 2 of 10 pixels (one each side) leaves only 40.
  torch::Tensor framed = flat(1, 3, 10, 10, 250);
  framed.narrow(2, 1, 8).narrow(3, 1, 8).fill_(40);
  const torch::Tensor out = run(*make<CropStep>({{"fraction", f64(0.2)}}), framed);
  EXPECT_TRUE(out.equal(flat(1, 3, 10, 10, 40)));
  // A random window shows the frame on some images (offset 0 or 2), never on all sides at once.
  const torch::Tensor many = run(*make<CropStep>({{"fraction", f64(0.2)}, {"random", Value(true)}}),
                                 framed.expand({16, 3, 10, 10}).contiguous(), 3);
  EXPECT_GT(many.max().item<int>(), 40);
}

TEST(Resize, ScaleOneWithNearestIsTheIdentityAndHalfScaleRemovesACheckerboard) {
  const torch::Tensor images = random_images(2, 3, 7, 9);
  EXPECT_TRUE(run(*make<ResizeStep>(
                      {{"scale", f64(1.0)}, {"down", str("nearest")}, {"up", str("nearest")}}),
                  images)
                  .equal(images));
  const torch::Tensor board =
      ((torch::arange(8).view({8, 1}) + torch::arange(8).view({1, 8})) % 2 * 255)
          .to(torch::kUInt8)
          .view({1, 1, 8, 8})
          .expand({1, 3, 8, 8})
          .contiguous();
  // Area averages each 2 x 2 block to 127.5, stored as 128, and a flat image scales up flat.
  EXPECT_TRUE(run(*make<ResizeStep>({{"scale", f64(0.5)}, {"down", str("area")}}), board)
                  .equal(flat(1, 3, 8, 8, 128)));
  const torch::Tensor bilinear = run(*make<ResizeStep>({{"scale", f64(0.5)}}), board);
  EXPECT_GT(mean_abs(bilinear, board), 100.0);
  // Nearest keeps one pixel of four: all the same colour.
  const torch::Tensor nearest =
      run(*make<ResizeStep>({{"scale", f64(0.5)}, {"down", str("nearest")}}), board);
  EXPECT_EQ(nearest.max().item<int>(), nearest.min().item<int>());
  // Antialiasing widens the kernel: stripes of period 4 keep less contrast than without it.
  const torch::Tensor stripes = (torch::div(torch::arange(16), 2, "floor").remainder(2) * 255)
                                    .to(torch::kUInt8)
                                    .view({1, 1, 1, 16})
                                    .expand({1, 1, 8, 16});
  auto contrast = [&](bool antialias) {
    const torch::Tensor out =
        run(*make<ResizeStep>({{"scale", f64(0.5)}, {"antialias", Value(antialias)}}), stripes)
            .to(torch::kFloat);
    return (out.max() - out.min()).item<float>();
  };
  EXPECT_LT(contrast(true), contrast(false));
}

}  // namespace
}  // namespace gear::plugins::devices
