// The offload stage inside gearhost on tiny Fashion-MNIST files: an edge VGG against a cloud
// ResNet rebuilt from its own run, every policy next to the optimum, the files it writes and how
// they agree, and the refusals of bad input (exit 2, naming where).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"

namespace gear::host {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::gearhost;
using test::Ran;
using test::summary_of;

std::string cloud_pipeline(const fs::path& data, int epochs, const std::string& data_extra = "") {
  return test::tiny_run_and_data(data, 5) + data_extra +
         "\n[model]\narchitecture = \"resnet18\"\nwidth = 0.125\n\n[[stage]]\nkind = "
         "\"train\"\nepochs = " +
         std::to_string(epochs) + "\nlr = 0.05\n";
}

std::string offload_stage(const fs::path& cloud, const std::string& extra = "") {
  return "\n[[stage]]\nkind = \"offload\"\ncloud = \"" + cloud.string() +
         "\"\nframes = 900\ntraining_frames = 400\ntargets = [0.1, 0.3]\nbyte_rates = [3000.0]\n"
         "link = \"stepped\"\nbandwidth_steps = [200000.0, 20000.0]\nstep_seconds = 10.0\n"
         "write_frames = true\n" +
         extra;
}

// A learned bottleneck at conv4, and the plain cut at conv3 (the activation itself is sent).
const char* const kSplitStages = R"(
[[stage]]
kind = "split"
layer = "conv4"
channels = 2
bits = 2
epochs = 1
jpeg_qualities = [10, 50, 90]

[[stage]]
kind = "split"
layer = "conv3"
channels = 0
epochs = 0
jpeg_qualities = [90]
)";

class OffloadRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(test::temp_dir("offload-run"));
    test::write_tiny_fashion(*dir_ / "data", 320, 80);
    test::write_text(*dir_ / "cloud.toml", cloud_pipeline(*dir_ / "data", 2));
    Ran cloud =
        gearhost("run " + (*dir_ / "cloud.toml").string() + " --out " + (*dir_ / "cloud").string());
    ASSERT_EQ(cloud.code, 0) << cloud.output;
    test::write_text(*dir_ / "edge.toml", test::tiny_run_and_data(*dir_ / "data", 3) +
                                              test::tiny_vgg_training("0.125", 1, "lr = 0.02\n") +
                                              offload_stage(*dir_ / "cloud") + kSplitStages);
    Ran edge =
        gearhost("run " + (*dir_ / "edge.toml").string() + " --out " + (*dir_ / "edge").string());
    ASSERT_EQ(edge.code, 0) << edge.output;
    summary_ = new json(summary_of(*dir_ / "edge"));
  }
  static void TearDownTestSuite() {
    delete summary_;
    delete dir_;
  }
  static const json& record() { return summary_->at("stages").at(1); }
  static fs::path* dir_;
  static json* summary_;
};
fs::path* OffloadRun::dir_ = nullptr;
json* OffloadRun::summary_ = nullptr;

TEST_F(OffloadRun, EveryPolicyRunsAtEveryTargetBesideTheOptimum) {
  const json& rows = record().at("rows");
  const std::vector<std::string> policies = {"oracle",       "confidence",     "margin", "entropy",
                                             "scene_change", "random_offload", "learned"};
  for (const std::string target : {"10%", "30%", "3000B/s"})
    for (const std::string& policy : policies) {
      int found = 0;
      for (const json& row : rows) found += row["policy"] == policy && row["target"] == target;
      EXPECT_EQ(found, 1) << policy << " at " << target;
    }
  EXPECT_EQ(rows.size(), 3 * policies.size());
  EXPECT_EQ(record()["frames"], 900);
  EXPECT_EQ(record()["training_split"], "val");
}

TEST_F(OffloadRun, NoPolicyBeatsTheOptimumWithTheBytesItSent) {
  const double edge = record()["edge_accuracy"];
  for (const json& row : record().at("rows")) {
    EXPECT_LE(row["accuracy"].get<double>(), row["oracle_accuracy"].get<double>() + 1e-12)
        << row.dump();
    EXPECT_GE(row["oracle_accuracy"].get<double>(), edge - 1e-12);
    EXPECT_GE(row["gap_percent"].get<double>(), -1e-9);
  }
}

TEST_F(OffloadRun, FractionTargetsAreMetAndByteRatesRespected) {
  for (const json& row : record().at("rows")) {
    const std::string target = row["target"];
    if (row["policy"] == "oracle") continue;
    if (target == "10%") {
      EXPECT_NEAR(row["offloaded_fraction"].get<double>(), 0.1, 0.03) << row;
    } else if (target == "30%") {
      EXPECT_NEAR(row["offloaded_fraction"].get<double>(), 0.3, 0.04) << row;
    } else {  // 3000 B/s over 30 s, plus a bucket of about a second
      EXPECT_LE(row["bytes"].get<double>(), 3000.0 * 30.0 + 3000.0 * 1.5) << row;
    }
  }
}

// Rows of a CSV file, split at commas.
std::vector<std::vector<std::string>> read_csv(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream s(line);
    std::string cell;
    while (std::getline(s, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

TEST_F(OffloadRun, BytesSentAreTheEncodedSizesOfTheOffloadedFrames) {
  const auto frames = read_csv(*dir_ / "edge" / "stage1.offload.frames.csv");
  ASSERT_EQ(frames.size(), 901u);
  const std::vector<std::string>& header = frames[0];
  const size_t bytes_column = 4, first_decision = 7;
  ASSERT_EQ(header[bytes_column], "bytes");
  const json& rows = record().at("rows");
  ASSERT_EQ(header.size(), first_decision + rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(header[first_decision + r],
              rows[r]["policy"].get<std::string>() + "@" + rows[r]["target"].get<std::string>());
    int64_t bytes = 0, offloaded = 0, correct = 0;
    for (size_t f = 1; f < frames.size(); ++f) {
      const bool sent = frames[f][first_decision + r] == "1";
      bytes += sent ? std::stoll(frames[f][bytes_column]) : 0;
      offloaded += sent;
      correct += frames[f][sent ? 6 : 5] == "1";
    }
    EXPECT_EQ(bytes, rows[r]["bytes"].get<int64_t>()) << rows[r];
    EXPECT_NEAR(offloaded / 900.0, rows[r]["offloaded_fraction"].get<double>(), 1e-9);
    EXPECT_NEAR(correct / 900.0, rows[r]["accuracy"].get<double>(), 1e-9);
  }
  // The summary CSV has a line per row; the chart is an SVG.
  EXPECT_EQ(read_csv(*dir_ / "edge" / "stage1.offload.csv").size(), rows.size() + 1);
  std::ifstream svg(*dir_ / "edge" / "stage1.offload.svg");
  std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("learned"), std::string::npos);
}

TEST_F(OffloadRun, TheResolvedPipelineRunsAgainToTheSameResult) {
  const Ran again = gearhost("run " + (*dir_ / "edge" / "pipeline.resolved.toml").string() +
                             " --out " + (*dir_ / "again").string());
  ASSERT_EQ(again.code, 0) << again.output;
  const json summary = summary_of(*dir_ / "again");
  const json& rows = summary.at("stages").at(1).at("rows");
  ASSERT_EQ(rows.size(), record().at("rows").size());
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r]["bytes"], record()["rows"][r]["bytes"]);
    EXPECT_EQ(rows[r]["accuracy"], record()["rows"][r]["accuracy"]);
  }
}

TEST_F(OffloadRun, ABottleneckSendsItsPackedSymbolsAndTheRunsNetIsLeftAsItWas) {
  const json& split = summary_->at("stages").at(2);
  const std::vector<int64_t> shape = split["activation_shape"];  // conv4: [C, 3, 3] here
  ASSERT_EQ(shape.size(), 3u);
  // 2 channels of 2-bit symbols per position, packed; what is sent is never more than packed.
  const double raw = static_cast<double>((2 * shape[1] * shape[2] * 2 + 7) / 8);
  EXPECT_DOUBLE_EQ(split["raw_bytes_per_frame"].get<double>(), raw);
  EXPECT_LE(split["bytes_per_frame"].get<double>(), raw + 4);
  EXPECT_GT(split["bytes_per_frame"].get<double>(), 4.0);
  const double accuracy = split["split_accuracy"];
  EXPECT_GE(accuracy, 0.0);
  EXPECT_LE(accuracy, 1.0);
  // The run's net is evaluated untouched: the last stage's whole-net accuracy is the run's.
  EXPECT_DOUBLE_EQ(split["net_accuracy"].get<double>(),
                   summary_->at("stages").at(3)["net_accuracy"].get<double>());
  const json& jpeg = split["jpeg"];
  ASSERT_EQ(jpeg.size(), 3u);
  EXPECT_LT(jpeg[0]["bytes_per_frame"].get<double>(), jpeg[1]["bytes_per_frame"].get<double>());
  EXPECT_LT(jpeg[1]["bytes_per_frame"].get<double>(), jpeg[2]["bytes_per_frame"].get<double>());
  EXPECT_TRUE(fs::exists(*dir_ / "edge" / split["bottleneck"].get<std::string>()));
  EXPECT_TRUE(fs::exists(*dir_ / "edge" / split["checkpoint"].get<std::string>()));
}

TEST_F(OffloadRun, WithoutABottleneckTheSplitIsTheWholeNet) {
  const json& plain = summary_->at("stages").at(3);
  EXPECT_DOUBLE_EQ(plain["split_accuracy"].get<double>(), plain["net_accuracy"].get<double>());
  const std::vector<int64_t> shape = plain["activation_shape"];
  EXPECT_DOUBLE_EQ(plain["bytes_per_frame"].get<double>(),
                   static_cast<double>(shape[0] * shape[1] * shape[2] * 4 + 4));
  EXPECT_FALSE(plain.contains("bottleneck"));
}

// Runs the edge pipeline with `stage` as its offload stage; expects exit 2 and `words`.
void expect_refused(const fs::path& dir, const std::string& stage, const std::string& words) {
  test::write_text(dir / "bad.toml", test::tiny_run_and_data(dir / "data", 3) +
                                         test::tiny_vgg_training("0.125", 1) + stage);
  const Ran bad =
      gearhost("run " + (dir / "bad.toml").string() + " --out " + (dir / "bad").string());
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find(words), std::string::npos) << bad.output;
  // Refused before any training.
  EXPECT_EQ(bad.output.find("epoch 1"), std::string::npos) << bad.output;
}

TEST_F(OffloadRun, BadInputIsRefusedWhereItIsWritten) {
  const fs::path trace = *dir_ / "trace.csv";
  test::write_text(trace, "time,bps\n0,1000\n1,fast\n");
  std::string stage = offload_stage(*dir_ / "cloud");
  stage.replace(stage.find("link = \"stepped\""), 16, "link = \"" + trace.string() + "\"");
  expect_refused(*dir_, stage, trace.string() + ":3");
  expect_refused(*dir_, offload_stage(*dir_ / "cloud", "policies = [\"confidense\"]\n"),
                 "unknown offload policy 'confidense' (did you mean 'confidence'?)");
  expect_refused(*dir_, offload_stage(*dir_ / "nowhere"), "no checkpoint");
  stage = offload_stage(*dir_ / "cloud");
  stage.replace(stage.find("targets = [0.1, 0.3]"), 20, "targets = [1.5]");
  expect_refused(*dir_, stage, "(0, 1]");
  expect_refused(*dir_, offload_stage(*dir_ / "cloud", "learned = { l2 = \"x\" }\n"),
                 "stage.1.learned.l2");
  expect_refused(*dir_, "\n[[stage]]\nkind = \"split\"\nlayer = \"conv44\"\n",
                 "did you mean 'conv4'");
}

TEST_F(OffloadRun, ACloudNetOfOtherClassesIsRefused) {
  test::write_text(*dir_ / "cloud6.toml",
                   cloud_pipeline(*dir_ / "data", 1,
                                  "classes = [\"T-shirt/top\", \"Trouser\", \"Pullover\", "
                                  "\"Dress\", \"Coat\", \"Sandal\"]\n"));
  const Ran cloud6 =
      gearhost("run " + (*dir_ / "cloud6.toml").string() + " --out " + (*dir_ / "cloud6").string());
  ASSERT_EQ(cloud6.code, 0) << cloud6.output;
  expect_refused(*dir_, offload_stage(*dir_ / "cloud6"), "share one class set");
}

}  // namespace
}  // namespace gear::host
