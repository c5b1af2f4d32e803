// gearhost runs a pipeline that grows with osg: the run folder records the growth, training
// continues on the grown net, and its checkpoint reloads at the grown widths.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gear/host/checkpoint.h"
#include "toy_net.h"

namespace gear {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int gearhost(const std::string& args, std::string* output) {
  const std::string command = std::string(GEARHOST_EXE) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe)) *output += buffer.data();
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(GrowRun, OsgGrowsTrainsOnAndCheckpointsTheGrownNet) {
  const fs::path dir = test::temp_dir("grow-run");
  const fs::path data = test::write_tiny_fashion(dir / "data", 256, 64);
  test::write_text(dir / "grow.toml", R"([run]
seed = 3
device = "cpu"
threads = 1

[data]
plugin = "fashion-mnist"
path = ")" + data.string() + R"("
batch_size = 32
val_split = 0.25

[model]
architecture = "vgg11"
width = 0.0625

[[stage]]
kind = "train"
epochs = 1

[[stage]]
kind = "grow"
strategy = "osg"
gamma = 0.5
candidates = 6

[[stage]]
kind = "train"
epochs = 1
)");
  std::string output;
  const int code = gearhost("run " + (dir / "grow.toml").string() + " --out " +
                                (dir / "run").string(),
                            &output);
  ASSERT_EQ(code, 0) << output;
  const json summary = json::parse(std::ifstream(dir / "run" / "summary.json"));
  const json& grow = summary.at("stages").at(1);
  EXPECT_EQ(grow.at("kind"), "grow");
  int64_t before = 0, after = 0, kept = 0;
  for (const auto& [group, width] : grow.at("widths_before").items()) before += width.get<int64_t>();
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
  auto arch = registry.create_architecture(
      "vgg11", test::make_config(registry.find("vgg11")->info.schema, {}, "model"));
  ModelSpec spec;
  spec.input_shape = meta.input_shape;
  spec.num_classes = meta.num_classes;
  spec.widths = meta.widths;
  auto net = arch->build(spec);
  host::load_checkpoint_tensors(*net, checkpoint);
  EXPECT_EQ(net->widths(), widths);
  EXPECT_EQ(net->params(), summary.at("final").at("params").get<int64_t>());
}

}  // namespace
}  // namespace gear
