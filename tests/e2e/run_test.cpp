// Runs the gearhost executable as a user would and checks its run folder and exit codes.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace gear {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
  int code = -1;
  std::string output;
};

Result gearhost(const std::string& args) {
  std::string command = std::string(GEARHOST_EXE) + " --plugin-path " + GEAR_FIXTURE_DIR + " " +
                        args + " 2>&1";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe)) result.output += buffer.data();
  int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string tiny_pipeline(const fs::path& data) {
  return R"([run]
seed = 5
device = "cpu"
threads = 1

[data]
plugin = "fashion-mnist"
path = ")" + data.string() + R"("
batch_size = 32
val_split = 0.2

[model]
architecture = "vgg11"
width = 0.125

[[stage]]
kind = "train"
epochs = 2
lr = 0.05
augmentation = { name = "standard", padding = 2 }

[[stage]]
kind = "grow"
strategy = "fixture-duplicate"

[[stage]]
kind = "train"
epochs = 1
optimizer = "adam"
lr = 0.001

[[stage]]
kind = "evaluate"
)";
}

json read_json(const fs::path& path) { return json::parse(std::ifstream(path)); }

class EndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(test::temp_dir("e2e"));
    test::write_tiny_fashion(*dir_ / "data", 400, 100);
    test::write_text(*dir_ / "tiny.toml", tiny_pipeline(*dir_ / "data"));
  }
  static fs::path* dir_;
};
fs::path* EndToEnd::dir_ = nullptr;

TEST_F(EndToEnd, TinyPipelineWritesACompleteRunFolder) {
  fs::path out = *dir_ / "run-a";
  Result r = gearhost("run " + (*dir_ / "tiny.toml").string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* file : {"pipeline.resolved.toml", "env.json", "log.txt", "metrics.csv",
                           "stages.json", "summary.json", "checkpoints/last.pt",
                           "checkpoints/best.pt"})
    EXPECT_TRUE(fs::exists(out / file)) << file;
  json summary = read_json(out / "summary.json");
  EXPECT_EQ(summary["status"], "completed");
  double accuracy = summary["final"]["clean_accuracy"];
  EXPECT_GE(accuracy, 0.0);
  EXPECT_LE(accuracy, 1.0);
  EXPECT_GT(accuracy, 0.3);  // the bars are learnable: far above 10% chance
  auto widths = summary["final"]["widths"].get<std::vector<int64_t>>();
  ASSERT_EQ(widths.size(), 8u);
  EXPECT_EQ(widths[0], 9);  // 0.125 * 64 = 8, plus one duplicated channel
  EXPECT_GT(summary["final"]["params"].get<int64_t>(), 0);
  ASSERT_EQ(summary["stages"].size(), 4u);
  EXPECT_EQ(summary["stages"][0]["kind"], "train");
  EXPECT_EQ(summary["stages"][0]["epochs"], 2);
  EXPECT_GT(summary["stages"][0]["wall_seconds"].get<double>(), 0.0);
  EXPECT_EQ(summary["stages"][1]["kind"], "grow");
  EXPECT_EQ(summary["stages"][1]["widths_after"]["conv0"], 9);
  EXPECT_EQ(summary["stages"][3]["clean_accuracy"], summary["final"]["clean_accuracy"]);
  // metrics.csv: a header and one row per training epoch.
  std::ifstream metrics(out / "metrics.csv");
  std::string line;
  int rows = 0;
  while (std::getline(metrics, line)) ++rows;
  EXPECT_EQ(rows, 1 + 3);
  json env = read_json(out / "env.json");
  EXPECT_EQ(env["threads"], 1);
  EXPECT_EQ(env["device"], "cpu");
}

TEST_F(EndToEnd, SameSeedGivesTheSameRun) {
  fs::path a = *dir_ / "seed-a", b = *dir_ / "seed-b";
  std::string common = "run " + (*dir_ / "tiny.toml").string() + " stage.0.epochs=1 ";
  ASSERT_EQ(gearhost(common + "--out " + a.string()).code, 0);
  ASSERT_EQ(gearhost(common + "--out " + b.string()).code, 0);
  json sa = read_json(a / "summary.json"), sb = read_json(b / "summary.json");
  EXPECT_EQ(sa["final"]["clean_accuracy"], sb["final"]["clean_accuracy"]);
  EXPECT_EQ(sa["final"]["test_loss"], sb["final"]["test_loss"]);
  EXPECT_EQ(sa["stages"][0]["train_loss"], sb["stages"][0]["train_loss"]);
}

TEST_F(EndToEnd, BadInputExitsTwoWithPosition) {
  Result r = gearhost("run " + (*dir_ / "tiny.toml").string() + " stage.0.epochs=-1");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("override 'stage.0.epochs=-1'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("out of range"), std::string::npos) << r.output;
  Result v = gearhost("validate " + (*dir_ / "tiny.toml").string());
  EXPECT_EQ(v.code, 0) << v.output;
  Result missing = gearhost("run " + (*dir_ / "tiny.toml").string() + " data.path=/nowhere");
  EXPECT_EQ(missing.code, 2) << missing.output;
  EXPECT_NE(missing.output.find("/nowhere"), std::string::npos) << missing.output;
}

TEST_F(EndToEnd, ThrowingPluginStopsCleanlyNamingPluginFileAndStage) {
  fs::path out = *dir_ / "throwing";
  Result r = gearhost("run " + (*dir_ / "tiny.toml").string() +
                      " stage.0.augmentation=fixture-throwing --out " + out.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("plugin 'fixture-throwing'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gear_fixture_good.so"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tiny.toml:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fixture augmentation exploded"), std::string::npos) << r.output;
  json summary = read_json(out / "summary.json");
  EXPECT_EQ(summary["status"], "failed");
}

TEST_F(EndToEnd, ListAndDescribe) {
  Result list = gearhost("list");
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.output.find("vgg19"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("fashion-mnist"), std::string::npos);
  EXPECT_NE(list.output.find("REFUSED"), std::string::npos);
  EXPECT_NE(list.output.find("ABI version 99"), std::string::npos) << list.output;
  Result describe = gearhost("describe standard");
  EXPECT_EQ(describe.code, 0);
  EXPECT_NE(describe.output.find("padding"), std::string::npos) << describe.output;
  Result unknown = gearhost("describe standerd");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.output.find("did you mean 'standard'?"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace gear
