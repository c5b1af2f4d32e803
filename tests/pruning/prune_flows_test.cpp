// The flows around pruning: starting from a trained net's checkpoint (and refusing a missing,
// truncated or foreign one before anything is written), class subsets that keep the N-way head,
// and the cost block of a pruned run.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "gear/host/checkpoint.h"
#include "test_support.h"

namespace gear::host {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test::gearhost;
using test::Ran;
using test::summary_of;

class PruneFlows : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(test::temp_dir("prune-flows"));
    test::write_tiny_fashion(*dir_ / "data", 320, 80);
    // The "trained on all classes" net every flow starts from.
    test::write_text(*dir_ / "base.toml", test::tiny_run_and_data(*dir_ / "data", 3) +
                                              test::tiny_vgg_training("0.125", 2));
    Ran base =
        gearhost("run " + (*dir_ / "base.toml").string() + " --out " + (*dir_ / "base").string());
    ASSERT_EQ(base.code, 0) << base.output;
  }
  static void TearDownTestSuite() { delete dir_; }

  static fs::path best() { return *dir_ / "base" / "checkpoints" / "best.pt"; }

  // Fine-tune on `classes`, prune, retrain: the data-aware flow from the base checkpoint.
  static std::string flow(const std::string& classes, const std::string& checkpoint,
                          const std::string& model_extra = "") {
    return test::tiny_run_and_data(*dir_ / "data", 4) + "classes = " + classes +
           "\n\n[model]\narchitecture = \"vgg11\"\ncheckpoint = \"" + checkpoint + "\"\n" +
           model_extra + R"(
[[stage]]
kind = "train"
epochs = 1
lr = 0.005

[[stage]]
kind = "prune"
pruner = "l1"
target = { params = 0.5 }

[[stage]]
kind = "train"
epochs = 1
lr = 0.02
)";
  }

  static fs::path* dir_;
};

fs::path* PruneFlows::dir_ = nullptr;

TEST_F(PruneFlows, ADataAwareFlowStartsFromTheCheckpointAndKeepsTheTenWayHead) {
  test::write_text(*dir_ / "aware.toml",
                   flow(R"(["T-shirt/top", "Trouser", "Pullover"])", best().string()));
  Ran r =
      gearhost("run " + (*dir_ / "aware.toml").string() + " --out " + (*dir_ / "aware").string());
  ASSERT_EQ(r.code, 0) << r.output;
  const json summary = summary_of(*dir_ / "aware");
  EXPECT_EQ(summary["num_classes"], 10);
  EXPECT_EQ(summary["classes"], (std::vector<std::string>{"T-shirt/top", "Trouser", "Pullover"}));
  // The first stage trained the checkpoint's net, at its widths.
  const CheckpointMeta base = read_checkpoint_meta(best());
  EXPECT_EQ(summary["stages"][1]["widths_before"].size(), base.widths.size());
  const json& before = summary["stages"][1]["widths_before"];
  std::vector<int64_t> widths;
  for (const auto& name : base.groups) widths.push_back(before[name].get<int64_t>());
  EXPECT_EQ(widths, base.widths);
  // Test images are of the three classes only (80 test images, 8 per class).
  EXPECT_EQ(summary["final"]["test_images"], 24);
  const json& cost = summary["final"]["cost"];
  EXPECT_EQ(cost["unpruned"]["params"], summary["stages"][1]["params_before"]);
  EXPECT_EQ(cost["pruned"]["params"], summary["final"]["params"]);
  EXPECT_EQ(cost["pruned"]["inference_macs"], summary["final"]["macs"]);
  EXPECT_NEAR(cost["ratios"]["macs_ratio"].get<double>(),
              cost["unpruned"]["inference_macs"].get<double>() /
                  cost["pruned"]["inference_macs"].get<double>(),
              1e-9);
  // 32 training images per class, 6 of each held out for validation: 78 train.
  EXPECT_EQ(cost["pruned"]["train_images"], 78);
  EXPECT_EQ(cost["pruned"]["training_macs_per_epoch"].get<int64_t>(),
            3 * 78 * cost["pruned"]["inference_macs"].get<int64_t>());
  EXPECT_GT(cost["unpruned"]["peak_training_bytes"].get<int64_t>(),
            cost["pruned"]["peak_training_bytes"].get<int64_t>());
  EXPECT_GT(cost["finetune_seconds"].get<double>(), 0.0);
  EXPECT_GT(cost["retrain_seconds"].get<double>(), 0.0);
}

TEST_F(PruneFlows, RelabelMakesAHeadOfTheKeptClassesAndThenTheCheckpointDoesNotFit) {
  test::write_text(*dir_ / "relabel.toml",
                   flow(R"(["T-shirt/top", "Trouser", "Pullover"])", best().string()));
  const fs::path out = *dir_ / "relabel";
  Ran r = gearhost("run " + (*dir_ / "relabel.toml").string() + " --out " + out.string() +
                   " data.relabel=true");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("model.checkpoint"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("10-way head"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out)) << "a refused run leaves no folder";
}

TEST_F(PruneFlows, MissingTruncatedOrForeignCheckpointsAreRefusedBeforeAnythingIsWritten) {
  // Truncated: the first half of a real checkpoint.
  const fs::path truncated = *dir_ / "truncated.pt";
  {
    std::ifstream in(best(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  struct Case {
    std::string checkpoint, extra, expect;
  };
  for (const Case& c : std::vector<Case>{
           {(*dir_ / "nowhere.pt").string(), "", "no checkpoint file"},
           {truncated.string(), "", "not a readable GEAR checkpoint"},
           {best().string(), "", "holds a vgg11 net, not the pipeline's resnet18"},
           {best().string(), "widths = [4, 4, 4, 4, 4, 4, 4, 4]\n", "sets the widths"}}) {
    std::string text = flow(R"(["T-shirt/top", "Trouser"])", c.checkpoint, c.extra);
    if (c.expect.find("resnet18") != std::string::npos)
      text.replace(text.find("\"vgg11\""), 7, "\"resnet18\"");
    test::write_text(*dir_ / "bad.toml", text);
    const fs::path out = *dir_ / "bad-run";
    Ran r = gearhost("run " + (*dir_ / "bad.toml").string() + " --out " + out.string());
    EXPECT_EQ(r.code, 2) << c.expect << ": " << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("bad.toml:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("model."), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out)) << c.expect;
    // validate says the same without running.
    Ran v = gearhost("validate " + (*dir_ / "bad.toml").string());
    EXPECT_EQ(v.code, 2) << v.output;
  }
}

TEST_F(PruneFlows, AnUnknownClassIsAnErrorNamingIt) {
  test::write_text(*dir_ / "unknown.toml", flow(R"(["Trouser", "sandals"])", best().string()));
  Ran r = gearhost("run " + (*dir_ / "unknown.toml").string() + " --out " +
                   (*dir_ / "unknown").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("data.classes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sandals"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(*dir_ / "unknown"));
}

// The ADaPT example pipelines read as written, given the base checkpoint they start from.
TEST_F(PruneFlows, TheAdaptExamplePipelinesValidate) {
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(GEAR_EXAMPLES_DIR) / "adapt")) {
    if (entry.path().extension() != ".toml") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const bool starts_from_checkpoint = text.find("\ncheckpoint = ") != std::string::npos;
    Ran v = gearhost(
        "validate " + entry.path().string() +
        (starts_from_checkpoint ? " model.checkpoint=\"" + best().string() + "\"" : std::string()));
    EXPECT_EQ(v.code, 0) << entry.path() << ": " << v.output;
    ++seen;
  }
  EXPECT_GE(seen, 6);
}

}  // namespace
}  // namespace gear::host
