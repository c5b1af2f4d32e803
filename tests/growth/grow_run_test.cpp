// gearhost runs a pipeline that grows with osg: the run folder records the growth, training
// continues on the grown net, and its checkpoint reloads at the grown widths.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "gear/host/checkpoint.h"
#include "toy_net.h"

namespace gear::plugins::growth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int gearhost(const std::string& args, std::string* output) {
  return test::run_command(std::string(GEARHOST_EXE) + " " + args, output);
}

// Backbone 1 epoch -> grow (the given keys) -> train `after` epochs, on tiny generated data.
std::string pipeline(const fs::path& data, const std::string& grow_keys, int after,
                     const std::string& architecture = "vgg11") {
  return test::tiny_run_and_data(data, 3) + "\n[model]\narchitecture = \"" + architecture +
         "\"\n" + R"(width = 0.0625

[[stage]]
kind = "train"
epochs = 1

[[stage]]
kind = "grow"
)" + grow_keys +
         R"(

[[stage]]
kind = "train"
epochs = )" +
         std::to_string(after) + "\n";
}

class GrowRunOn : public ::testing::TestWithParam<std::string> {};

TEST_P(GrowRunOn, OsgGrowsTrainsOnAndCheckpointsTheGrownNet) {
  const std::string architecture = GetParam();
  const fs::path dir = test::temp_dir("grow-run-" + architecture);
  const fs::path data = test::write_tiny_fashion(dir / "data", 256, 64);
  test::write_text(dir / "grow.toml",
                   pipeline(data, "strategy = \"osg\"\ngamma = 0.5\ncandidates = 6", 1,
                            architecture));
  std::string output;
  const int code =
      gearhost("run " + (dir / "grow.toml").string() + " --out " + (dir / "run").string(), &output);
  ASSERT_EQ(code, 0) << output;
  const json summary = json::parse(std::ifstream(dir / "run" / "summary.json"));
  const json& grow = summary.at("stages").at(1);
  EXPECT_EQ(grow.at("kind"), "grow");
  int64_t before = 0, after = 0, kept = 0;
  for (const auto& [group, width] : grow.at("widths_before").items())
    before += width.get<int64_t>();
  for (const auto& [group, width] : grow.at("widths_after").items()) after += width.get<int64_t>();
  for (const auto& [group, n] : grow.at("split").items()) kept += n.get<int64_t>();
  for (const auto& [group, n] : grow.at("fresh").items()) kept += n.get<int64_t>();
  EXPECT_GT(after, before);
  EXPECT_EQ(after - before, kept);
  EXPECT_GT(grow.at("metrics").at("candidate_seconds").get<double>(), 0.0);
  EXPECT_EQ(grow.at("bound_by"), "gamma");
  const auto widths = summary.at("final").at("widths").get<std::vector<int64_t>>();
  EXPECT_GT(summary.at("stages").at(2).at("train_loss").get<double>(), 0.0);

  // The last checkpoint is the grown net: rebuild at its widths and load it.
  const fs::path checkpoint = dir / "run" / "checkpoints" / "last.pt";
  const host::CheckpointMeta meta = host::read_checkpoint_meta(checkpoint);
  EXPECT_EQ(meta.widths, widths);
  const auto& registry = test::real_plugins();
  auto arch = registry.create<Architecture>(
      architecture, test::make_config(registry.find(architecture)->info.schema, {}, "model"));
  ModelSpec spec;
  spec.input_shape = meta.input_shape;
  spec.num_classes = meta.num_classes;
  spec.widths = meta.widths;
  auto net = arch->build(spec);
  host::load_checkpoint_tensors(*net, checkpoint);
  EXPECT_EQ(net->widths(), widths);
  EXPECT_EQ(net->params(), summary.at("final").at("params").get<int64_t>());
}

INSTANTIATE_TEST_SUITE_P(Architectures, GrowRunOn,
                         ::testing::Values("vgg11", "resnet18", "mobilenet_v1", "mobilenet_v2"));

// Multi-shot: two growth steps of (1 + gamma)^(1/2) - 1 each, between halves of the next stage,
// on augmented batches.
TEST(GrowRun, MultiShotOsgGrowsTwiceOnAugmentedData) {
  const fs::path dir = test::temp_dir("grow-steps");
  const fs::path data = test::write_tiny_fashion(dir / "data", 256, 64);
  test::write_text(dir / "steps.toml",
                   pipeline(data,
                            "strategy = \"osg\"\ngamma = 0.44\ncandidates = 4\nsteps = 2\n"
                            "augmentation = { name = \"standard\", padding = 2 }",
                            2));
  std::string output;
  ASSERT_EQ(gearhost("run " + (dir / "steps.toml").string() + " --out " + (dir / "run").string(),
                     &output),
            0)
      << output;
  const json stages = json::parse(std::ifstream(dir / "run" / "stages.json"));
  std::vector<json> grows;
  int64_t train_epochs = 0;
  for (const auto& s : stages) {
    if (s.at("kind") == "grow") grows.push_back(s);
    if (s.at("kind") == "train") train_epochs += s.at("epochs").get<int64_t>();
  }
  ASSERT_EQ(grows.size(), 2u);
  EXPECT_EQ(train_epochs, 1 + 2);  // the same total epochs as one-shot
  for (const auto& g : grows) {
    EXPECT_EQ(g.at("augmentation"), "standard");
    int64_t before = 0, kept = 0;
    for (const auto& [group, w] : g.at("widths_before").items()) before += w.get<int64_t>();
    kept = g.at("kept").at("split").get<int64_t>() + g.at("kept").at("fresh").get<int64_t>();
    EXPECT_EQ(kept, static_cast<int64_t>(0.2 * before + 1e-9)) << g.dump();  // 1.2^2 = 1.44
  }
}

}  // namespace
}  // namespace gear::plugins::growth
