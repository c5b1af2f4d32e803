// Device profiles in pipelines: [[device]] tables read against the device_step plugins (and the
// errors for what does not fit, at file:line), the built-in bank, what a HostDeviceBank does
// with images, device views, and running the net at a profile's precision.
#include "gear/host/device_bank.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "gear/host/device.h"
#include "gear/host/pipeline.h"
#include "gear/host/precision.h"
#include "test_support.h"

namespace gear::host {
namespace {

const std::string kHead = R"([run]
device = "cpu"

[model]
architecture = "vgg11"
width = 0.125

[[stage]]
kind = "evaluate"
)";

Pipeline read(const std::string& text) {
  return read_pipeline(test::pipeline_file(text), {}, test::real_plugins());
}

torch::Tensor random_images(int64_t n, int64_t c, int64_t h, int64_t w, uint64_t seed) {
  torch::Generator g = make_generator(torch::kCPU, seed);
  return torch::randint(0, 256, {n, c, h, w}, g, torch::TensorOptions().dtype(torch::kUInt8));
}

TEST(DeviceProfiles, ReadsStepsInOrderWithTheirOptionsAndPrecision) {
  Pipeline p = read(kHead + R"(
[[device]]
name = "phone"
precision = "int8"
steps = [{step = "gamma", gamma = 2.0}, {step = "jpeg", quality = 40}]

[[device]]
name = "lossless"
steps = [{step = "png"}]
)");
  ASSERT_EQ(p.devices.profiles.size(), 2u);
  EXPECT_FALSE(p.devices.built_in);
  const DeviceProfileSpec& phone = p.devices.profiles[0];
  EXPECT_EQ(phone.name, "phone");
  EXPECT_EQ(phone.precision, Precision::kInt8);
  ASSERT_EQ(phone.steps.size(), 2u);
  EXPECT_EQ(phone.steps[0].name, "gamma");
  EXPECT_DOUBLE_EQ(phone.steps[0].options.get<double>("gamma"), 2.0);
  EXPECT_EQ(phone.steps[1].options.get<int64_t>("quality"), 40);
  HostDeviceBank bank(p.devices, test::real_plugins());
  EXPECT_FALSE(bank.lossless(0));
  EXPECT_TRUE(bank.lossless(1));
  EXPECT_EQ(bank.find("lossless"), 1);
  EXPECT_EQ(bank.find("nope"), -1);
}

TEST(DeviceProfiles, AnUnknownStepIsRefusedAtItsLineWithADidYouMean) {
  ConfigError e = test::expect_pipeline_error(kHead + R"(
[[device]]
name = "phone"
steps = [
  {step = "gamma"},
  {step = "jpg", quality = 40},
]
)");
  EXPECT_NE(std::string(e.what()).find("did you mean 'jpeg'"), std::string::npos) << e.what();
  EXPECT_EQ(e.where().line, 15) << e.what();
}

TEST(DeviceProfiles, AQualityOutsideOneToHundredIsRefusedAtItsLine) {
  for (const char* quality : {"0", "101"}) {
    ConfigError e = test::expect_pipeline_error(
        kHead + "\n[[device]]\nname = \"a\"\nsteps = [{step = \"jpeg\", quality = " + quality +
        "}]\n");
    EXPECT_EQ(e.where().line, 13) << e.what();
    EXPECT_NE(std::string(e.what()).find("quality"), std::string::npos) << e.what();
  }
}

TEST(DeviceProfiles, EmptyListsRepeatedNamesAndUnknownPrecisionsAreRefused) {
  EXPECT_NE(std::string(test::expect_pipeline_error("device = []\n" + kHead).what()).find("empty"),
            std::string::npos);
  ConfigError twice = test::expect_pipeline_error(
      kHead + "\n[[device]]\nname = \"a\"\n\n[[device]]\nname = \"a\"\n");
  EXPECT_NE(std::string(twice.what()).find("second device profile named 'a'"), std::string::npos);
  EXPECT_EQ(twice.where().line, 14);
  ConfigError precision =
      test::expect_pipeline_error(kHead + "\n[[device]]\nname = \"a\"\nprecision = \"bf61\"\n");
  EXPECT_NE(std::string(precision.what()).find("did you mean 'bf16'"), std::string::npos)
      << precision.what();
  ConfigError key = test::expect_pipeline_error(
      kHead + "\n[[device]]\nname = \"a\"\nstep = [{step = \"png\"}]\n");
  EXPECT_NE(std::string(key.what()).find("did you mean 'steps'"), std::string::npos) << key.what();
}

TEST(DeviceProfiles, AProfileThatTurnsGreyIntoColourIsRefusedForAGreyNet) {
  Pipeline p = read(kHead + R"(
[[device]]
name = "grey"
steps = [{step = "gamma", gamma = 1.2}]

[[device]]
name = "colourful"
steps = [{step = "to_rgb"}, {step = "jpeg"}]
)");
  HostDeviceBank bank(p.devices, test::real_plugins());
  try {
    bank.check_channels(1);
    FAIL() << "a profile that makes 3 channels of 1 passed";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where().line, 15) << e.what();
    EXPECT_NE(std::string(e.what()).find("'to_rgb' turns 1-channel images into 3-channel"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(bank.check_channels(3));
}

TEST(DeviceProfiles, Fp16IsRefusedOnACpuAtTheProfile) {
  Pipeline p = read(kHead + "\n[[device]]\nname = \"half\"\nprecision = \"fp16\"\n");
  HostDeviceBank bank(p.devices, test::real_plugins());
  EXPECT_THROW(bank.check_precisions(torch::kCPU), ConfigError);
}

TEST(BuiltInBank, HasSixOrMorePhonesALosslessReferenceAndACanonicaliser) {
  Pipeline p = read(kHead);
  ASSERT_TRUE(p.devices.built_in);
  HostDeviceBank bank(p.devices, test::real_plugins());
  int devices = 0, canonical = 0;
  for (int64_t k = 0; k < bank.size(); ++k) (bank.canonical(k) ? canonical : devices)++;
  EXPECT_GE(devices, 6);
  EXPECT_EQ(canonical, 1);
  EXPECT_TRUE(bank.lossless(bank.find("reference")));
  bool quantized = false;
  for (int64_t k = 0; k < bank.size(); ++k) quantized |= bank.precision(k) == Precision::kInt8;
  EXPECT_TRUE(quantized);
  const std::vector<int64_t> all = bank.select({}, p.run, "x");
  EXPECT_EQ(static_cast<int>(all.size()), devices);  // canonicalisers left out
}

TEST(BuiltInBank, EveryProfileKeepsGreyAndColourShapesRepeatsItsSeedAndChangesPixels) {
  Pipeline p = read(kHead);
  HostDeviceBank bank(p.devices, test::real_plugins());
  for (const auto& [c, h, w] : {std::tuple{1, 28, 28}, std::tuple{3, 32, 24}}) {
    torch::Tensor images = random_images(4, c, h, w, 3).to(torch::kFloat);
    // Smooth images, as photos are: noise would make every codec look bad.
    images = torch::nn::functional::avg_pool2d(
                 images, torch::nn::functional::AvgPool2dFuncOptions(5).stride(1).padding(2))
                 .round()
                 .to(torch::kUInt8);
    for (int64_t k = 0; k < bank.size(); ++k) {
      torch::Generator g1 = make_generator(torch::kCPU, 11), g2 = make_generator(torch::kCPU, 11);
      torch::Tensor a = bank.apply(k, images, g1), b = bank.apply(k, images, g2);
      ASSERT_EQ(a.sizes(), images.sizes()) << bank.name(k);
      EXPECT_EQ(a.scalar_type(), torch::kUInt8);
      EXPECT_TRUE(torch::equal(a, b)) << bank.name(k) << " is not repeatable";
      const double changed = (a.to(torch::kInt) - images.to(torch::kInt))
                                 .abs()
                                 .to(torch::kFloat)
                                 .mean()
                                 .item<double>();
      if (bank.lossless(k)) {
        EXPECT_EQ(changed, 0.0) << bank.name(k);
      } else if (bank.precision(k) == Precision::kFp32) {
        EXPECT_GT(changed, 0.0) << bank.name(k) << " changes nothing";
      }
      // Ordinary photos, not corruptions: a few grey levels on average.
      EXPECT_LT(changed, 25.0) << bank.name(k);
    }
  }
}

TEST(DeviceView, DrawsAProfilePerImageFromTheChoices) {
  Pipeline p = read(kHead + R"(
[[device]]
name = "same"
steps = [{step = "png"}]

[[device]]
name = "darker"
steps = [{step = "gamma", gamma = 2.0}]

[[device]]
name = "unused"
steps = [{step = "gamma", gamma = 0.5}]
)");
  HostDeviceBank bank(p.devices, test::real_plugins());
  torch::Tensor images = random_images(64, 1, 6, 6, 5);
  torch::Generator g0 = make_generator(torch::kCPU, 1);
  torch::Tensor darker = bank.apply(1, images, g0);
  torch::Generator g = make_generator(torch::kCPU, 7);
  torch::Tensor view = device_view(bank, {0, 1}, images, g);
  int same = 0, dark = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const bool is_same = torch::equal(view[i], images[i]);
    const bool is_dark = torch::equal(view[i], darker[i]);
    EXPECT_TRUE(is_same || is_dark) << "image " << i << " went through a profile not chosen";
    same += is_same;
    dark += is_dark && !is_same;
  }
  EXPECT_GT(same, 16);
  EXPECT_GT(dark, 16);
}

TEST(DeviceProfiles, TheResolvedPipelineWritesTheBankBackReadably) {
  Pipeline p = read(kHead);
  std::ostringstream out;
  write_device_profiles(out, p.devices);
  Pipeline again = read(kHead + out.str());
  ASSERT_EQ(again.devices.profiles.size(), p.devices.profiles.size());
  for (size_t k = 0; k < p.devices.profiles.size(); ++k) {
    const auto& a = p.devices.profiles[k];
    const auto& b = again.devices.profiles[k];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.precision, b.precision);
    EXPECT_EQ(a.canonical, b.canonical);
    ASSERT_EQ(a.steps.size(), b.steps.size());
    for (size_t s = 0; s < a.steps.size(); ++s) {
      EXPECT_EQ(a.steps[s].name, b.steps[s].name);
      for (const auto& option : a.steps[s].options.names())
        EXPECT_EQ(a.steps[s].options.value(option), b.steps[s].options.value(option))
            << a.name << " step " << s << " " << option;
    }
  }
}

TEST(Precision, Int8RoundsEachOutputChannelToItsOwnScale) {
  torch::Tensor w = torch::tensor({{1.0, -0.5, 0.25, 0.0}, {100.0, 1.0, -30.0, 0.3}});
  torch::Tensor q = int8_per_channel(w);
  // Channel 0: scale 1/127; channel 1: 100/127, so 1.0 -> 1 step, 0.3 (0.38 steps) -> 0.
  EXPECT_NEAR(q[0][1].item<double>(), std::round(-0.5 * 127) / 127, 1e-6);
  EXPECT_NEAR(q[1][1].item<double>(), 100.0 / 127, 1e-5);
  EXPECT_NEAR(q[1][3].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(q[1][0].item<double>(), 100.0, 1e-4);
  EXPECT_NEAR(q[1][2].item<double>(), std::round(-30.0 / (100.0 / 127)) * (100.0 / 127), 1e-4);
}

torch::Tensor flat_parameters(GrowableNet& net) {
  std::vector<torch::Tensor> flat;
  for (const auto& p : net.parameters()) flat.push_back(p.detach().flatten().clone());
  return torch::cat(flat);
}

TEST(Precision, RunsTheNetAtEachPrecisionAndRestoresItsWeights) {
  std::shared_ptr<GrowableNet> net = test::build_net("vgg11", {1, 28, 28}, 0.125);
  net->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::randn({4, 1, 28, 28});
  torch::Tensor before = flat_parameters(*net);
  torch::Tensor fp32 = net->forward(x);
  std::map<Precision, torch::Tensor> out;
  for (Precision p : {Precision::kBf16, Precision::kInt8})
    with_precision(*net, p, torch::kCPU, [&] { out[p] = net->forward(x).to(torch::kFloat); });
  EXPECT_TRUE(torch::equal(flat_parameters(*net), before));
  EXPECT_TRUE(torch::equal(net->forward(x), fp32));  // autocast is off again
  for (const auto& [p, logits] : out) {
    EXPECT_FALSE(torch::equal(logits, fp32)) << to_string(p) << " computed in fp32";
    EXPECT_LT((logits - fp32).abs().max().item<double>(),
              0.2 * fp32.abs().max().item<double>() + 0.05)
        << to_string(p);
  }
  EXPECT_THROW(with_precision(*net, Precision::kFp16, torch::kCPU, [] {}), std::invalid_argument);
}

}  // namespace
}  // namespace gear::host
