// The AugMix policy: its draws have the reference's distributions, the views are mixed as
// defined, the presets are what they claim, and gearhost trains with the JSD loss.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "augmix_augmentation.h"
#include "augmix_ops.h"
#include "gear/host/device.h"
#include "lut_ops.h"
#include "test_support.h"

namespace gear::plugins::augmentations {
namespace {

namespace fs = std::filesystem;

torch::Generator generator(uint64_t seed) { return host::make_generator(torch::kCPU, seed); }

double fraction(const torch::Tensor& mask) {
  return mask.to(torch::kFloat64).mean().item<double>();
}

TEST(AugMixDraws, DepthIsUniformOverOneToThreeAndOpsOverTheSet) {
  AugMixAugmentation augmix{AugMixOptions{}};
  torch::Generator g = generator(1);
  const int64_t m = 60000;
  ChainDraws d = draw_chains(augmix.options(), m, torch::kCPU, g);
  for (int64_t depth = 1; depth <= 3; ++depth)
    EXPECT_NEAR(fraction(d.depth == depth), 1.0 / 3.0, 0.01) << depth;
  ASSERT_EQ(d.ops.size(0), 3);
  for (int64_t op = 0; op < ops::kDefaultOpCount; ++op)
    EXPECT_NEAR(fraction(d.ops == op), 1.0 / 9.0, 0.005) << ops::augmix_op_names()[op];
  EXPECT_EQ(fraction(d.ops >= ops::kDefaultOpCount), 0.0);  // enhance ops only with all_ops
  EXPECT_GE(d.levels.min().item<double>(), 0.1);
  EXPECT_LT(d.levels.max().item<double>(), 3.0);
  EXPECT_NEAR(d.levels.mean().item<double>(), 1.55, 0.01);
  EXPECT_NEAR(fraction(d.negate), 0.5, 0.005);
}

TEST(AugMixDraws, AllOpsAddsTheFourEnhanceOps) {
  AugMixOptions options;
  options.all_ops = true;
  AugMixAugmentation augmix{options};
  torch::Generator g = generator(2);
  ChainDraws d = draw_chains(augmix.options(), 52000, torch::kCPU, g);
  for (int64_t op = 0; op < 13; ++op) EXPECT_NEAR(fraction(d.ops == op), 1.0 / 13.0, 0.005);
}

TEST(AugMixDraws, ChainWeightsAreDirichletAndTheSkipShareIsBeta) {
  torch::Generator g = generator(3);
  const int64_t n = 100000;
  MixDraws d = draw_mixing(AugMixOptions{}, 2, n, torch::kCPU, g);
  ASSERT_EQ(d.weights.sizes(), (std::vector<int64_t>{2, 3, n}));
  EXPECT_LT((d.weights.sum(1) - 1).abs().max().item<double>(), 1e-5);
  // Dirichlet(1, 1, 1): mean 1/3, variance 1/18; Beta(1, 1): mean 1/2, variance 1/12.
  EXPECT_NEAR(d.weights.mean().item<double>(), 1.0 / 3.0, 0.002);
  EXPECT_NEAR(d.weights.var().item<double>(), 1.0 / 18.0, 0.001);
  EXPECT_NEAR(d.skip.mean().item<double>(), 0.5, 0.003);
  EXPECT_NEAR(d.skip.var().item<double>(), 1.0 / 12.0, 0.001);
  // alpha = 0.5 concentrates the Beta at the ends: variance 1/8.
  AugMixOptions spiky;
  spiky.alpha = 0.5;
  EXPECT_NEAR(draw_mixing(spiky, 1, n, torch::kCPU, g).skip.var().item<double>(), 0.125, 0.002);
}

TEST(AugMixPolicy, EraIsOneChainOfThreeOpsAtSeverityFour) {
  AugMixAugmentation era{era_options()};
  torch::Generator g = generator(4);
  ChainDraws d = draw_chains(era.options(), 1000, torch::kCPU, g);
  EXPECT_TRUE(torch::all(d.depth == 3).item<bool>());
  EXPECT_LT(d.levels.max().item<double>(), 4.0);
  EXPECT_GT(d.levels.max().item<double>(), 3.5);
  MixDraws mix = draw_mixing(era.options(), 2, 10, torch::kCPU, g);
  EXPECT_TRUE(torch::all(mix.weights == 1).item<bool>());
  // The reading bench/era_readings.py found closest to the paper: one view, no JSD term.
  EXPECT_FALSE(era.options().jsd);
  EXPECT_TRUE(AugMixAugmentation{AugMixOptions{}}.options().jsd);
}

torch::Tensor test_images(int64_t n) {
  torch::manual_seed(11);
  return torch::randint(0, 256, {n, 3, 16, 16}, torch::kUInt8);
}

TEST(AugMixPolicy, JsdGivesTheCleanViewAndTwoMixesWithLambda) {
  AugMixOptions options;
  options.crop = false;
  options.flip = false;
  AugMixAugmentation augmix{options};
  torch::Tensor images = test_images(32);
  torch::Generator g = generator(5);
  AugmentedBatch batch = augmix.augment(images, g);
  ASSERT_EQ(batch.views.size(), 3u);
  EXPECT_DOUBLE_EQ(batch.consistency_weight, 12.0);
  EXPECT_TRUE(torch::equal(batch.views[0], images));
  for (size_t v = 1; v < 3; ++v) {
    EXPECT_EQ(batch.views[v].sizes(), images.sizes());
    EXPECT_EQ(batch.views[v].scalar_type(), torch::kFloat32);
    EXPECT_GE(batch.views[v].min().item<double>(), 0.0);
    EXPECT_LE(batch.views[v].max().item<double>(), 1.0);
  }
  EXPECT_FALSE(torch::allclose(batch.views[1], batch.views[2]));  // drawn independently
  options.jsd = false;
  AugmentedBatch plain = AugMixAugmentation{options}.augment(images, g);
  ASSERT_EQ(plain.views.size(), 1u);
  EXPECT_EQ(plain.consistency_weight, 0.0);
  EXPECT_EQ(plain.views[0].scalar_type(), torch::kFloat32);
}

TEST(AugMixPolicy, AViewIsTheCleanImageMixedWithItsChain) {
  // One chain of one deterministic op: view = (1 - m) x + m autocontrast(x), m ~ U(0, 1).
  AugMixOptions options;
  options.crop = options.flip = false;
  options.width = 1;
  options.depth = 1;
  options.ops = {static_cast<int64_t>(ops::AugOp::kAutocontrast)};
  options.views = 1;
  // A narrow range of values, so that autocontrast moves every image.
  torch::Tensor images = torch::randint(60, 160, {2000, 3, 16, 16}, torch::kUInt8);
  torch::Generator g = generator(6);
  torch::Tensor view = AugMixAugmentation{options}.augment(images, g).views.at(1);
  torch::Tensor x = images.to(torch::kFloat32) / 255;
  torch::Tensor target = ops::autocontrast(images).to(torch::kFloat32) / 255;
  torch::Tensor direction = (target - x).flatten(1);
  torch::Tensor offset = (view - x).flatten(1);
  torch::Tensor m = (offset * direction).sum(1) / direction.pow(2).sum(1).clamp_min(1e-12);
  torch::Tensor residual = (offset - m.unsqueeze(1) * direction).abs().max();
  EXPECT_LT(residual.item<double>(), 1e-5);
  EXPECT_GE(m.min().item<double>(), 0.0);
  EXPECT_LE(m.max().item<double>(), 1.0);
  EXPECT_NEAR(m.mean().item<double>(), 0.5, 0.02);
}

TEST(AugMixPolicy, MixingMatchesItsDefinition) {
  torch::manual_seed(12);
  const int64_t views = 2, width = 3, n = 20;
  torch::Tensor clean = torch::randint(0, 256, {n, 3, 8, 8}, torch::kUInt8);
  torch::Tensor chains = torch::randint(0, 256, {views * width * n, 3, 8, 8}, torch::kUInt8);
  torch::Generator g = generator(13);
  MixDraws draws = draw_mixing(AugMixOptions{}, views, n, torch::kCPU, g);
  torch::Tensor got = mix_chains(clean, chains, draws);
  torch::Tensor x = clean.to(torch::kFloat64) / 255;
  torch::Tensor c = chains.to(torch::kFloat64).view({views, width, n, 3, 8, 8}) / 255;
  for (int64_t v = 0; v < views; ++v)
    for (int64_t i = 0; i < n; ++i) {
      torch::Tensor mix = torch::zeros({3, 8, 8}, torch::kFloat64);
      for (int64_t k = 0; k < width; ++k) mix += draws.weights[v][k][i].item<double>() * c[v][k][i];
      const double m = draws.skip[v][i].item<double>();
      torch::Tensor expected = (1 - m) * x[i] + m * mix;
      EXPECT_LT((got[v][i].to(torch::kFloat64) - expected).abs().max().item<double>(), 1e-6);
    }
}

TEST(AugMixPolicy, ChainsApplyTheirDrawnOpsInOrder) {
  AugMixAugmentation augmix{era_options()};
  torch::Tensor images = test_images(24);
  torch::Generator g = generator(7);
  ChainDraws d = draw_chains(augmix.options(), 24, torch::kCPU, g);
  torch::Tensor got = run_chains(images.clone(), d);
  for (int64_t i = 0; i < 24; ++i) {
    torch::Tensor x = images.slice(0, i, i + 1);
    for (int64_t s = 0; s < 3; ++s) {
      torch::Tensor op = d.ops[s].slice(0, i, i + 1);
      torch::Tensor magnitude = ops::augmix_magnitudes(op, d.levels[s].slice(0, i, i + 1),
                                                       d.negate[s].slice(0, i, i + 1), 16);
      x = ops::apply_augmix_ops(x, op, magnitude);
    }
    EXPECT_TRUE(torch::equal(got.slice(0, i, i + 1), x)) << i;
  }
}

TEST(AugMixPolicy, FusedCpuChainsMatchTheStepByStepPath) {
  for (const AugMixOptions& options : {AugMixOptions{}, era_options()}) {
    AugMixAugmentation augmix{options};
    torch::Tensor images = torch::randint(0, 256, {300, 3, 12, 12}, torch::kUInt8);
    images.slice(0, 0, 100).div_(3, "floor");  // some low-contrast images
    torch::Generator g = generator(14);
    ChainDraws d = draw_chains(augmix.options(), 300, torch::kCPU, g);
    EXPECT_TRUE(torch::equal(run_chains(images.clone(), d), run_chains_by_step(images.clone(), d)));
  }
}

TEST(AugMixPolicy, AugmentRunsEachChainOnItsSampleAndMixesItIntoItsView) {
  // augment() fuses chains and mixing on the CPU; replaying its draws through the step-by-step
  // chains of a stacked copy of the batch and the separate mixing gives the same views bit for bit.
  for (AugMixOptions options : {AugMixOptions{}, era_options()}) {
    options.crop = options.flip = false;
    options.jsd = true;
    options.views = 2;
    AugMixAugmentation augmix{options};
    const int64_t n = 37, chains = options.views * options.width;
    torch::Tensor images = torch::randint(0, 256, {n, 3, 12, 12}, torch::kUInt8);
    torch::Generator g = generator(15), replay = generator(15);
    std::vector<torch::Tensor> views = augmix.augment(images, g).views;
    ChainDraws chain_draws = draw_chains(augmix.options(), chains * n, torch::kCPU, replay);
    MixDraws mix_draws = draw_mixing(augmix.options(), options.views, n, torch::kCPU, replay);
    torch::Tensor expected = mix_chains(
        images, run_chains_by_step(images.repeat({chains, 1, 1, 1}), chain_draws), mix_draws);
    ASSERT_EQ(views.size(), 3u);
    for (int64_t v = 0; v < options.views; ++v)
      EXPECT_TRUE(torch::equal(views[static_cast<size_t>(v + 1)], expected[v])) << v;
  }
}

TEST(AugMixOps, ScalarMagnitudesEqualTheTensorOnes) {
  const int64_t n = 13 * 200;
  torch::Tensor op_ids = torch::arange(n) % 13;
  torch::Tensor levels = torch::rand({n}, torch::kFloat64) * 9.9 + 0.1;
  torch::Tensor negate = torch::rand({n}) > 0.5;
  torch::Tensor tensor = ops::augmix_magnitudes(op_ids, levels, negate, 28);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(ops::augmix_magnitude(static_cast<ops::AugOp>(op_ids[i].item<int64_t>()),
                                    levels[i].item<double>(), negate[i].item<bool>(), 28),
              tensor[i].item<double>())
        << i;
}

TEST(AugMixPolicy, SameSeedSameViewsOtherSeedOtherViews) {
  AugMixAugmentation augmix{AugMixOptions{}};
  torch::Tensor images = test_images(16);
  torch::Generator a = generator(8), b = generator(8), c = generator(9);
  auto va = augmix.augment(images, a).views, vb = augmix.augment(images, b).views,
       vc = augmix.augment(images, c).views;
  for (size_t v = 0; v < va.size(); ++v) EXPECT_TRUE(torch::equal(va[v], vb[v]));
  EXPECT_FALSE(torch::equal(va[1], vc[1]));
}

TEST(AugMixPolicy, PipelineRejectsAnUnknownOpAtItsLine) {
  const fs::path dir = test::temp_dir("augmix-bad-op");
  const fs::path data = test::write_tiny_fashion(dir / "data", 64, 32);
  test::write_text(
      dir / "p.toml",
      test::tiny_run_and_data(data, 1) +
          test::tiny_vgg_training(
              "0.0625", 1,
              "augmentation = { name = \"augmix\", ops = [\"rotate\", \"sheer_x\"] }\n"));
  std::string output;
  const int code = test::run_command(
      std::string(GEARHOST_EXE) + " validate " + (dir / "p.toml").string(), &output);
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("p.toml:"), std::string::npos) << output;
  EXPECT_NE(output.find("sheer_x"), std::string::npos) << output;
  EXPECT_NE(output.find("shear_x"), std::string::npos) << output;
}

TEST(AugMixPolicy, GearhostTrainsWithEraAndTheJsdLoss) {
  const fs::path dir = test::temp_dir("era-run");
  const fs::path data = test::write_tiny_fashion(dir / "data", 256, 64);
  test::write_text(dir / "era.toml",
                   test::tiny_run_and_data(data, 1) +
                       test::tiny_vgg_training("0.0625", 2, "augmentation = \"era\"\n"));
  std::string output;
  const int code =
      test::run_command(std::string(GEARHOST_EXE) + " run " + (dir / "era.toml").string() +
                            " --out " + (dir / "run").string(),
                        &output);
  ASSERT_EQ(code, 0) << output;
  auto summary = nlohmann::json::parse(std::ifstream(dir / "run" / "summary.json"));
  const auto& stage = summary.at("stages").at(0);
  EXPECT_EQ(stage.at("augmentation"), "era");
  const double loss = stage.at("train_loss").get<double>();
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_GT(loss, 0.0);
  EXPECT_GT(summary.at("final").at("clean_accuracy").get<double>(), 0.15);
}

}  // namespace
}  // namespace gear::plugins::augmentations
