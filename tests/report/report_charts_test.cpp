// The page's charts as data: which charts an input gets, and the figures each one plots.
#include "report_charts.h"

#include <gtest/gtest.h>

#include "report_test_support.h"

namespace gear::report::fixtures {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<json> charts_of(const fs::path& input) { return input_charts(read_input(input), 0); }

std::vector<std::string> titles(const std::vector<json>& charts) {
  std::vector<std::string> out;
  for (const auto& c : charts) out.push_back(c["title"]);
  return out;
}

const json& dataset(const json& chart, const std::string& label) {
  for (const auto& d : chart["datasets"])
    if (d["label"] == label) return d;
  ADD_FAILURE() << "no dataset " << label << " in " << chart.dump();
  static const json none;
  return none;
}

TEST(ReportCharts, CompletedRunHasEveryChart) {
  const fs::path dir = fresh_folder();
  write_run(dir / "alpha", completed_summary("alpha"), completed_stages(), completed_metrics(), "");
  const auto charts = charts_of(dir / "alpha");
  EXPECT_EQ(
      titles(charts),
      (std::vector<std::string>{
          "accuracy per epoch", "loss per epoch", "widths per group before and after growth",
          "time and energy per stage",
          "robust accuracy per corruption and severity (%): mean 65.43%",
          "pruning: validation accuracy against MACs (search probes)", "instability: details"}));
}

TEST(ReportCharts, EpochCurvesAndStageBoundaries) {
  const fs::path dir = fresh_folder();
  write_run(dir / "alpha", completed_summary("alpha"), completed_stages(), completed_metrics(), "");
  const auto charts = charts_of(dir / "alpha");
  const json& accuracy = charts[0];
  EXPECT_EQ(accuracy["labels"], json({1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(dataset(accuracy, "train")["data"], json({50.0, 70.0, 80.0, 90.0, 85.0, 88.0}));
  EXPECT_EQ(dataset(accuracy, "val")["data"][0], 45.0);
  EXPECT_EQ(dataset(charts[1], "val")["data"][3], 0.5);  // val_loss, not val_accuracy
  // Stage 2 begins after the grow stage (named "widen"); the evaluate stage is not a boundary
  // of its own, the search's retraining is.
  EXPECT_EQ(accuracy["boundaries"], json::parse(R"([
      {"at": 0, "label": "0 train"}, {"at": 2, "label": "1 grow widen · 2 train"},
      {"at": 4, "label": "4 search"}])"));
}

TEST(ReportCharts, MultiShotGrowthMarksEverySegment) {
  const fs::path dir = fresh_folder();
  const json stages = json::parse(R"([
    {"index": 0, "kind": "train", "epochs": 2, "wall_seconds": 1},
    {"index": 1, "kind": "grow", "step": 1, "steps": 2, "wall_seconds": 1},
    {"index": 2, "kind": "train", "step": 1, "steps": 2, "epochs": 1, "wall_seconds": 1},
    {"index": 1, "kind": "grow", "step": 2, "steps": 2, "wall_seconds": 1},
    {"index": 2, "kind": "train", "step": 2, "steps": 2, "epochs": 1, "wall_seconds": 1}])");
  write_run(dir / "multi", {{"status", "completed"}, {"name", "multi"}}, stages,
            "epoch,stage,train_accuracy\n1,0,0.1\n2,0,0.2\n1,2,0.3\n2,2,0.4\n", "");
  const auto charts = charts_of(dir / "multi");
  EXPECT_EQ(charts[0]["boundaries"], json::parse(R"([
      {"at": 0, "label": "0 train"}, {"at": 2, "label": "1 grow step 1/2 · 2 train step 1/2"},
      {"at": 3, "label": "1 grow step 2/2 · 2 train step 2/2"}])"));
  EXPECT_EQ(charts[0]["datasets"].size(), 1u) << "no val column, no val line";
}

TEST(ReportCharts, WidthsTimeCorruptionsProbesAndSuites) {
  const fs::path dir = fresh_folder();
  write_run(dir / "alpha", completed_summary("alpha"), completed_stages(), completed_metrics(), "");
  const auto charts = charts_of(dir / "alpha");
  // In the net's group order (final.groups), not the records' alphabetical one.
  EXPECT_EQ(charts[2]["labels"], json({"conv2", "conv1"}));
  EXPECT_EQ(dataset(charts[2], "before (stage 1 grow widen)")["data"], json({16, 8}));
  EXPECT_EQ(dataset(charts[2], "after 1 grow widen")["data"], json({32, 16}));

  EXPECT_EQ(charts[3]["labels"],
            json({"0 train", "1 grow widen", "2 train", "3 evaluate", "4 search"}));
  EXPECT_EQ(dataset(charts[3], "wall seconds")["data"], json({30.0, 5.0, 40.0, 3.0, 20.0}));
  EXPECT_EQ(dataset(charts[3], "energy (J, estimated)")["axis"], "y1");
  EXPECT_EQ(charts[3]["y1_title"], "energy (J, estimated)");

  EXPECT_EQ(charts[4]["labels"], json({"fog", "noise"}));  // the clean row is not a corruption
  EXPECT_EQ(dataset(charts[4], "severity 1")["data"], json({80.0, 60.0}));
  EXPECT_EQ(dataset(charts[4], "severity 2")["data"], json({70.0, 50.0}));

  EXPECT_EQ(dataset(charts[5], "probes")["data"][2], json({{"x", 40.0}, {"y", 80.0}}));
  EXPECT_EQ(dataset(charts[5], "chosen level")["data"], json({{{"x", 60.0}, {"y", 88.0}}}));

  EXPECT_EQ(charts[6]["labels"], json({"blur", "jitter"}));
  EXPECT_EQ(dataset(charts[6], "flip")["data"], json({0.1, 0.3}));
  EXPECT_EQ(dataset(charts[6], "shift")["data"], json({0.2, 0.4}));
}

TEST(ReportCharts, GroupChartsUseEverySeedAndTheStageMeans) {
  const fs::path dir = fresh_folder();
  write_group(dir / "beta", "beta", "beta");
  const auto charts = charts_of(dir / "beta");
  EXPECT_EQ(titles(charts), (std::vector<std::string>{
                                "accuracy per epoch", "loss per epoch",
                                "widths per group before and after growth (seed 1)",
                                "time and energy per stage (mean over seeds)",
                                "robust accuracy per corruption and severity (%): mean 61.00%"}));
  EXPECT_EQ(charts[0]["datasets"].size(), 6u);  // train and val of three seeds
  EXPECT_NEAR(dataset(charts[0], "seed 3 train")["data"][0].get<double>(), 63.0, 1e-9);
  EXPECT_EQ(dataset(charts[3], "wall seconds")["data"], json({10.0, 4.0, 6.0, 1.0}));
  EXPECT_EQ(dataset(charts[3], "energy (J)")["data"], json({100.0, 40.0, 60.0, nullptr}));
  EXPECT_EQ(dataset(charts[4], "severity 2")["data"], json({60.0}));
}

}  // namespace
}  // namespace gear::report::fixtures
