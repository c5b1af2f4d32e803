// The instability suite and stability training inside gearhost, on tiny Fashion-MNIST files:
// what summary.json and the per-image CSV record and how they agree with each other, device
// views in training, model variants, and the refusals of bad device input before any training.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace gear::host {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test::gearhost;
using test::Ran;
using test::summary_of;

class InstabilityRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(test::temp_dir("instability-run"));
    test::write_tiny_fashion(*dir_ / "data", 320, 80);
    test::write_text(*dir_ / "base.toml",
                     test::tiny_run_and_data(*dir_ / "data", 3) +
                         test::tiny_vgg_training("0.125", 1, "lr = 0.02\n") +
                         "\n[[stage]]\nkind = \"evaluate\"\nsuites = [\"instability\"]\n");
    Ran base =
        gearhost("run " + (*dir_ / "base.toml").string() + " --out " + (*dir_ / "base").string());
    ASSERT_EQ(base.code, 0) << base.output;
    const std::string stages = R"(objective = { name = "stability", alpha = 1.0 }
lr = 0.02

[[stage]]
kind = "train"
epochs = 1
lr = 0.01
objective = { name = "stability", pairs = "pairwise", divergence = "js" }
devices = ["reference", "budget_android", "messaging_app"]

[[stage]]
kind = "evaluate"
suites = ["clean", "instability"]
variants = ["base=)" + (*dir_ / "base").string() +
                               R"("]
reference = ")" + (*dir_ / "base").string() +
                               R"("
instability = { captures = 2, variant_precisions = ["int8", "bf16"] }
)";
    test::write_text(*dir_ / "st.toml", test::tiny_run_and_data(*dir_ / "data", 3) +
                                            test::tiny_vgg_training("0.125", 1, stages));
    Ran st = gearhost("run " + (*dir_ / "st.toml").string() + " --out " + (*dir_ / "st").string());
    ASSERT_EQ(st.code, 0) << st.output;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path* dir_;
};
fs::path* InstabilityRun::dir_ = nullptr;

TEST_F(InstabilityRun, SummaryRecordsEveryFigureWithinItsBounds) {
  const json s = summary_of(*dir_ / "st")["final"]["instability"];
  const double set = s["set_instability"];
  EXPECT_GE(set, 0.0);
  EXPECT_LE(set, 1.0);
  // Any pair that disagrees makes the image unstable across all: set >= every pair.
  EXPECT_GE(set + 1e-12, s["pairwise_max"].get<double>());
  EXPECT_GE(s["pairwise_max"].get<double>() + 1e-12, s["pairwise_mean"].get<double>());
  // A correctness flip is a label change.
  EXPECT_LE(s["correctness_instability"].get<double>(), set + 1e-12);
  EXPECT_GE(s["accuracy_max"].get<double>(), s["accuracy_min"].get<double>());
  EXPECT_EQ(s["images"].get<double>(), 80.0);
  EXPECT_GE(s["profiles"].get<double>(), 6.0);
  for (const char* key : {"canonical_set_instability", "temporal_instability",
                          "variants_set_instability", "mean_kl", "reference_instability"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_TRUE(s["details"].contains("variants_pairwise.base"));
  EXPECT_TRUE(s["details"].contains("variants_pairwise.int8"));
  EXPECT_TRUE(s["details"].contains("pairwise.reference"));
  EXPECT_TRUE(s["details"].contains("class.T-shirt/top"));
}

TEST_F(InstabilityRun, AReferenceRunGivesTheReductionOfEachFigure) {
  const json before = summary_of(*dir_ / "base")["final"]["instability"];
  const json after = summary_of(*dir_ / "st")["final"]["instability"];
  for (const char* key : {"set_instability", "pairwise_mean", "mean_kl"}) {
    const double then = before[key], now = after[key];
    ASSERT_GT(then, 0.0) << key;
    EXPECT_DOUBLE_EQ(after["reference_run_" + std::string(key)].get<double>(), then) << key;
    EXPECT_NEAR(after[std::string(key) + "_reduction"].get<double>(), 1.0 - now / then, 1e-12)
        << key;
  }
  EXPECT_NEAR(after["accuracy_mean_change"].get<double>(),
              after["accuracy_mean"].get<double>() - before["accuracy_mean"].get<double>(), 1e-12);
}

TEST_F(InstabilityRun, TheCsvHasOneRowPerImageAndItsUnstableShareIsTheSetInstability) {
  const json s = summary_of(*dir_ / "st")["final"]["instability"];
  std::ifstream csv(*dir_ / "st" / "stage2.instability.images.csv");
  ASSERT_TRUE(csv) << "no per-image CSV";
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("image,label,stable,reference,", 0), 0u) << header;
  int rows = 0, unstable = 0;
  for (std::string line; std::getline(csv, line);) {
    ++rows;
    std::stringstream fields(line);
    std::string image, label, stable;
    std::getline(fields, image, ',');
    std::getline(fields, label, ',');
    std::getline(fields, stable, ',');
    unstable += stable == "0";
  }
  EXPECT_EQ(rows, 80);
  EXPECT_DOUBLE_EQ(unstable / 80.0, s["set_instability"].get<double>());
}

TEST_F(InstabilityRun, TrainingRecordsItsDeviceViewsAndTheStabilityTerm) {
  const json stages = summary_of(*dir_ / "st")["stages"];
  const json first = stages[0];
  EXPECT_EQ(first["device_views"]["views"], 1);
  EXPECT_GE(first["device_views"]["devices"].size(), 6u);
  EXPECT_TRUE(first["objective_figures"].contains("stability")) << first.dump();
  const json second = stages[1];
  EXPECT_EQ(second["device_views"]["views"], 2);
  EXPECT_EQ(second["device_views"]["devices"],
            json({"reference", "budget_android", "messaging_app"}));
}

TEST_F(InstabilityRun, ARunRepeatsItsInstabilityFiguresExactly) {
  Ran again =
      gearhost("run " + (*dir_ / "st.toml").string() + " --out " + (*dir_ / "st2").string());
  ASSERT_EQ(again.code, 0) << again.output;
  const json a = summary_of(*dir_ / "st")["final"]["instability"];
  const json b = summary_of(*dir_ / "st2")["final"]["instability"];
  for (const char* key : {"set_instability", "pairwise_mean", "mean_kl", "temporal_instability"})
    EXPECT_EQ(a[key], b[key]) << key;
}

TEST_F(InstabilityRun, BadDeviceInputStopsTheRunBeforeTrainingWithExitTwo) {
  const std::string head = test::tiny_run_and_data(*dir_ / "data", 3);
  struct Case {
    std::string extra, expected;
  };
  const std::vector<Case> cases = {
      {test::tiny_vgg_training("0.125", 1, "objective = \"stability\"\ndevices = [\"refrence\"]\n"),
       "did you mean 'reference'"},
      {test::tiny_vgg_training("0.125", 1) +
           "\n[[device]]\nname = \"rgb\"\nsteps = [{step = \"to_rgb\"}]\n\n[[device]]\nname = "
           "\"b\"\n",
       "turns 1-channel images into 3-channel"},
      {test::tiny_vgg_training("0.125", 1) +
           "\n[[stage]]\nkind = \"evaluate\"\nvariants = [\"x=/nonexistent/final.pt\"]\n",
       "no checkpoint file"},
      {test::tiny_vgg_training("0.125", 0) +
           "\n[[stage]]\nkind = \"evaluate\"\nsuites = [\"instability\"]\ninstability = "
           "{profiles = [\"refrence\", \"old_phone\"]}\n",
       "did you mean 'reference'"},
  };
  int index = 0;
  for (const Case& c : cases) {
    const fs::path file = *dir_ / ("bad" + std::to_string(index) + ".toml");
    const fs::path out = *dir_ / ("bad" + std::to_string(index++));
    test::write_text(file, head + c.extra);
    Ran r = gearhost("run " + file.string() + " --out " + out.string());
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(file.string() + ":"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out / "checkpoints" / "last.pt")) << "it trained first";
  }
}

}  // namespace
}  // namespace gear::host
