// gearhost runs the corruptions evaluator: generated sets are seeded and summarised as defined,
// released .npy sets are read in their layout, and mCE is normalised by a reference run.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_files.h"
#include "test_support.h"

namespace gear::plugins {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int gearhost(const std::string& args, std::string* output) {
  return test::run_command(std::string(GEARHOST_EXE) + " " + args, output);
}

json read_json(const fs::path& path) { return json::parse(std::ifstream(path)); }

class CorruptionsEvaluator : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(test::temp_dir("corruptions-eval"));
    test::write_tiny_fashion(*dir_ / "data", 256, 60);
  }
  // Train one epoch, then evaluate with the given suite options (and stage keys).
  static fs::path run(const std::string& label, const std::string& corruption_options,
                      int expected_code = 0, std::string* output = nullptr,
                      const std::string& data_keys = "", const std::string& stage_keys = "") {
    const fs::path file = *dir_ / (label + ".toml");
    test::write_text(file, test::tiny_run_and_data(*dir_ / "data", 2) + data_keys +
                               test::tiny_vgg_training("0.0625", 1) + R"(
[[stage]]
kind = "evaluate"
suites = ["clean", "corruptions"]
)" + stage_keys + "corruptions = { " +
                               corruption_options + " }\n");
    std::string log;
    const fs::path out = *dir_ / label;
    const int code = gearhost("run " + file.string() + " --out " + out.string(), &log);
    EXPECT_EQ(code, expected_code) << log;
    if (output) *output = log;
    return out;
  }
  static fs::path* dir_;
};
fs::path* CorruptionsEvaluator::dir_ = nullptr;

TEST_F(CorruptionsEvaluator, GeneratedSetsAreSeededAndSummarisedAsDefined) {
  const std::string options =
      R"(corruptions = ["gaussian_noise", "contrast", "fog"], severities = [1, 5])";
  json a = read_json(run("generated-a", options) / "summary.json");
  json b = read_json(run("generated-b", options) / "summary.json");
  const json& suite = a["final"]["corruptions"];
  const json& table = suite["details"];
  double sum = 0.0;
  for (const std::string name : {"gaussian_noise", "contrast", "fog"}) {
    const double s1 = table[name]["severity_1"], s5 = table[name]["severity_5"];
    EXPECT_FALSE(table[name].contains("severity_3"));
    EXPECT_DOUBLE_EQ(table[name]["mean"].get<double>(), (s1 + s5) / 2);
    sum += s1 + s5;
  }
  EXPECT_NEAR(suite["robust_accuracy"].get<double>(), sum / 6, 1e-12);
  EXPECT_NEAR(suite["mean_corruption_error"].get<double>(), 1 - sum / 6, 1e-12);
  EXPECT_EQ(table["clean"]["accuracy"], a["final"]["clean_accuracy"]);
  // Same seed, same draws.
  EXPECT_EQ(table, b["final"]["corruptions"]["details"]);
  EXPECT_EQ(suite["robust_accuracy"], b["final"]["corruptions"]["robust_accuracy"]);
  EXPECT_EQ(a["stages"][1]["corruptions"]["details"], table);
  // The suite's figures are its own: the host's keys stay the host's.
  EXPECT_FALSE(a["final"].contains("robust_accuracy"));
}

TEST_F(CorruptionsEvaluator, ReleasedNpySetsAreReadSeverityMajor) {
  // A CIFAR-C-style folder: severity s holds the clean test images for s = 1..4 and all-black
  // images for s = 5 (grey, [N, H, W]). Severities 1-4 must score exactly the clean accuracy.
  const auto& registry = test::real_plugins();
  auto dataset = registry.create<Dataset>(
      "fashion-mnist", test::make_config(registry.find("fashion-mnist")->info.schema,
                                         {{"path", Value((*dir_ / "data").string())}}, "data"));
  DataSplit clean = dataset->load(SplitKind::kTest);
  const int64_t n = clean.images.size(0);
  torch::Tensor images = torch::cat({clean.images.squeeze(1).repeat({4, 1, 1}),
                                     torch::zeros({n, 28, 28}, torch::kUInt8)})
                             .contiguous();
  torch::Tensor labels = clean.labels.to(torch::kUInt8).repeat({5}).contiguous();
  const fs::path folder = *dir_ / "CIFAR-C";
  using robustness::testing::npy_bytes;
  using robustness::testing::npy_dict;
  robustness::testing::write_file(
      folder / "contrast.npy",
      npy_bytes(npy_dict("|u1", "(" + std::to_string(5 * n) + ", 28, 28)"),
                std::vector<uint8_t>(images.data_ptr<uint8_t>(),
                                     images.data_ptr<uint8_t>() + images.numel())));
  robustness::testing::write_file(
      folder / "labels.npy",
      npy_bytes(npy_dict("|u1", "(" + std::to_string(5 * n) + ",)"),
                std::vector<uint8_t>(labels.data_ptr<uint8_t>(),
                                     labels.data_ptr<uint8_t>() + labels.numel())));
  json summary = read_json(
      run("npy", "corruptions = [\"contrast\"], precomputed = \"" + folder.string() + "\"") /
      "summary.json");
  const json& row = summary["final"]["corruptions"]["details"]["contrast"];
  const double clean_accuracy = summary["final"]["clean_accuracy"];
  for (int s = 1; s <= 4; ++s)
    EXPECT_DOUBLE_EQ(row["severity_" + std::to_string(s)], clean_accuracy);
  EXPECT_NE(row["severity_5"].get<double>(), clean_accuracy);
  // A corruption the folder does not have is an error naming the file and what is present.
  std::string log;
  run("npy-missing", "corruptions = [\"fog\"], precomputed = \"" + folder.string() + "\"", 2, &log);
  EXPECT_NE(log.find("fog"), std::string::npos) << log;
  EXPECT_NE(log.find("contrast"), std::string::npos) << log;
  // Released sets keep the full dataset's labels: with a class subset they would score the
  // relabelled classes against the wrong labels, so the run stops and says why.
  run("npy-subset", "corruptions = [\"contrast\"], precomputed = \"" + folder.string() + "\"", 1,
      &log, "classes = [\"Bag\", \"Trouser\"]\nrelabel = true\n");
  EXPECT_NE(log.find("precomputed contrast has labels up to 9 but the evaluated split's stop at 1"),
            std::string::npos)
      << log;
}

TEST_F(CorruptionsEvaluator, MceIsNormalisedByTheReferenceRun) {
  const std::string options = R"(corruptions = ["gaussian_noise", "fog"], severities = [2, 4])";
  const fs::path reference = run("mce-reference", options);
  // The same pipeline against itself: every corruption error ratio is 1, mCE 100.
  // The stage names the reference run; the host reads it and hands the suite its results.
  json summary = read_json(
      run("mce", options, 0, nullptr, "", "reference = \"" + reference.string() + "\"\n") /
      "summary.json");
  EXPECT_NEAR(summary["final"]["corruptions"]["mce"].get<double>(), 100.0, 1e-9);
  // A file that is no run's summary is refused at the key, before anything runs.
  std::string log;
  test::write_text(*dir_ / "data" / "nothing.json", "{\"status\": \"running\"}");
  run("mce-bad", options, 2, &log, "",
      "reference = \"" + (*dir_ / "data" / "nothing.json").string() + "\"\n");
  EXPECT_NE(log.find("stage.1.reference"), std::string::npos) << log;
  EXPECT_NE(log.find("no final results"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(*dir_ / "mce-bad" / "summary.json"));
  // A reference run that measured other corruptions cannot normalise these.
  run("mce-other", R"(corruptions = ["contrast"], severities = [2])", 2, &log, "",
      "reference = \"" + reference.string() + "\"\n");
  EXPECT_NE(log.find("stage.1.reference"), std::string::npos) << log;
  EXPECT_NE(log.find("no accuracy for contrast at severity_2"), std::string::npos) << log;
}

}  // namespace
}  // namespace gear::plugins
