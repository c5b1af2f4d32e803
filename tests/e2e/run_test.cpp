// Runs the gearhost executable as a user would and checks the run folders it writes.

#include <numeric>

#include "e2e_support.h"

namespace gear::e2e {
namespace {

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
  EXPECT_EQ(test::read_csv(out / "metrics.csv").size(), 1u + 3u);
  json env = read_json(out / "env.json");
  EXPECT_EQ(env["threads"], 1);
  EXPECT_EQ(env["device"], "cpu");
}

// Two growth steps under a parameter budget, with the epochs halved by run.epoch_scale.

int64_t sum_values(const json& per_group) {
  int64_t total = 0;
  for (const auto& [group, value] : per_group.items()) total += value.get<int64_t>();
  return total;
}

TEST_F(EndToEnd, BudgetedMultiShotGrowthRecordsEveryStepAndSegment) {
  fs::path pipeline = *dir_ / "budget.toml", out = *dir_ / "budget-run";
  test::write_text(pipeline, budget_pipeline(*dir_ / "data"));
  Result r = gearhost("run " + pipeline.string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  json summary = read_json(out / "summary.json");
  json stages = read_json(out / "stages.json");
  EXPECT_EQ(summary["stages"], stages);
  EXPECT_EQ(summary["status"], "completed");
  EXPECT_EQ(summary["epoch_scale"], 0.5);
  EXPECT_EQ(summary["budget"], json::parse(R"({"params": 260000, "train_memory": "1GiB"})"));

  // train, then grow 1, segment 1, grow 2, segment 2, then evaluate; 2 and 6 epochs halved.
  ASSERT_EQ(stages.size(), 6u) << stages.dump(2);
  const std::vector<int> index = {0, 1, 2, 1, 2, 3};
  const std::vector<std::string> kind = {"train", "grow", "train", "grow", "train", "evaluate"};
  const std::vector<int> epochs = {1, 0, 2, 0, 1, 0};
  for (size_t i = 0; i < stages.size(); ++i) {
    EXPECT_EQ(stages[i]["index"], index[i]) << i;
    EXPECT_EQ(stages[i]["kind"], kind[i]) << i;
    EXPECT_EQ(stages[i]["epochs"], epochs[i]) << i;
    const bool shot = i >= 1 && i <= 4;
    EXPECT_EQ(stages[i].contains("step"), shot) << i;
    if (shot) {
      EXPECT_EQ(stages[i]["step"], i <= 2 ? 1 : 2) << i;
      EXPECT_EQ(stages[i]["steps"], 2) << i;
    }
  }

  const int64_t reference = summary["final"]["reference_params"];
  for (size_t i : {1u, 3u}) {
    const json& grow = stages[i];
    EXPECT_EQ(grow["strategy"], "fixture-duplicate");
    EXPECT_EQ(grow["budget"], summary["budget"]);
    EXPECT_EQ(grow["kept"]["split"], sum_values(grow["split"]));
    EXPECT_EQ(grow["kept"]["fresh"], 0);
    EXPECT_GT(grow["kept"]["split"].get<int64_t>(), 0);
    const int64_t before = grow["params_before"], after = grow["params_after"];
    EXPECT_GT(after, before);
    EXPECT_LE(after, 260000);
    EXPECT_EQ(grow["params"], after);
    EXPECT_DOUBLE_EQ(grow["size_percent_before"].get<double>(), 100.0 * before / reference);
    EXPECT_DOUBLE_EQ(grow["size_percent_after"].get<double>(), 100.0 * after / reference);
    EXPECT_GE(grow["bytes_after"].get<int64_t>(), 4 * after);
    EXPECT_GT(grow["bytes_after"].get<int64_t>(), grow["bytes_before"].get<int64_t>());
    // Weights, gradients and momentum at least; far below the 1 GiB cap.
    EXPECT_GE(grow["train_memory_after"].get<int64_t>(), 3 * 4 * after);
    EXPECT_LT(grow["train_memory_after"].get<int64_t>(), int64_t{1} << 30);
    EXPECT_GT(grow["metrics"]["budget_checks"].get<double>(), 0.0);
    EXPECT_FALSE(grow.contains("over_budget"));
    // Records that are more than a number reach stages.json as written.
    const auto copies = grow["records"]["copies"].get<std::vector<int64_t>>();
    EXPECT_EQ(copies.size(), grow["split"].size());
    EXPECT_EQ(std::accumulate(copies.begin(), copies.end(), int64_t{0}), grow["kept"]["split"]);
    EXPECT_EQ(grow["records"]["note"], "channel 0 copied");
    // The grown net, before training changes it, for starting elsewhere from it.
    const std::string checkpoint = grow["checkpoint"];
    EXPECT_EQ(checkpoint, "checkpoints/stage1-step" + std::to_string(i == 1 ? 1 : 2) + ".pt");
    EXPECT_TRUE(fs::exists(out / checkpoint)) << checkpoint;
  }
  // A plugin's gear::log_info and report_progress reach log.txt.
  {
    std::ifstream log(out / "log.txt");
    std::string log_text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(log_text.find("fixture-duplicate: "), std::string::npos) << log_text;
    EXPECT_NE(log_text.find("fixture-duplicate groups: "), std::string::npos) << log_text;
  }
  // Without checkpoints the stage still reports its best validation accuracy.
  EXPECT_GE(stages[2]["best_val_accuracy"].get<double>(), stages[2]["val_accuracy"].get<double>());
  EXPECT_GE(stages[2]["best_val_accuracy"].get<double>(), 0.0);
  // Each step grows by (1.5)^(1/2): the first fits, the second runs into the parameter cap.
  EXPECT_EQ(stages[1]["bound_by"], "gamma");
  EXPECT_EQ(stages[3]["bound_by"], "params");
  EXPECT_EQ(stages[3]["widths_before"], stages[1]["widths_after"]);
  EXPECT_EQ(stages[1]["widths_after"]["conv0"], 8 + 2);  // ceil(0.2247 * 8) copies
  EXPECT_EQ(summary["final"]["params"], stages[3]["params_after"]);

  std::ifstream resolved(out / "pipeline.resolved.toml");
  std::string text((std::istreambuf_iterator<char>(resolved)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("steps = 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("epoch_scale = 0.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("epochs = 6\n"), std::string::npos) << text;
  EXPECT_NE(text.find("budget = { params = 260000, train_memory = \"1GiB\" }\n"),
            std::string::npos)
      << text;
  // The resolved pipeline is itself a valid pipeline.
  Result again = gearhost("validate " + (out / "pipeline.resolved.toml").string());
  EXPECT_EQ(again.code, 0) << again.output;

  // metrics.csv: stage 2's segments continue one epoch count (1, 2 then 3).
  const auto rows = test::read_csv(out / "metrics.csv");
  ASSERT_EQ(rows.size(), 1u + 1u + 2u + 1u);  // the header, then the epochs' rows
  // Columns are alphabetical (a metered run's energy_joules comes before epoch).
  const std::vector<std::string>& columns = rows[0];
  const size_t epoch = std::find(columns.begin(), columns.end(), "epoch") - columns.begin();
  ASSERT_LT(epoch, columns.size()) << ::testing::PrintToString(columns);
  EXPECT_EQ(rows[2].at(epoch), "1");
  EXPECT_EQ(rows[3].at(epoch), "2");
  EXPECT_EQ(rows[4].at(epoch), "3");
  std::ifstream log(out / "log.txt");
  std::string log_text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(log_text.find("grow (fixture-duplicate, step 2/2): bound by params"),
            std::string::npos)
      << log_text;
  EXPECT_NE(log_text.find("widths conv0 10->"), std::string::npos) << log_text;
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

TEST_F(EndToEnd, EvaluatorSuitesLandInStagesAndTheFinalBlock) {
  test::write_text(*dir_ / "eval.toml",
                   evaluator_pipeline(*dir_ / "data", R"(["clean", "fixture-flip"])"));
  fs::path a = *dir_ / "eval-a", b = *dir_ / "eval-b";
  ASSERT_EQ(gearhost("run " + (*dir_ / "eval.toml").string() + " --out " + a.string()).code, 0);
  ASSERT_EQ(gearhost("run " + (*dir_ / "eval.toml").string() + " --out " + b.string()).code, 0);
  json summary = read_json(a / "summary.json");
  const json& stage = summary["stages"][1];
  EXPECT_EQ(stage["suites"], json({"clean", "fixture-flip"}));
  EXPECT_TRUE(stage.contains("clean_accuracy"));
  EXPECT_EQ(stage["fixture-flip"]["details"]["flipped"]["images"], 40.0);
  const json& suite = summary["final"]["fixture-flip"];
  const double flip = suite["flip_accuracy"].get<double>();
  EXPECT_GE(flip, 0.0);
  EXPECT_LE(flip, 1.0);
  EXPECT_EQ(suite["details"]["flipped"]["images"], 40.0);
  EXPECT_GE(suite["seconds"].get<double>(), 0.0);
  EXPECT_FALSE(summary["final"].contains("flip_accuracy"));
  // Seeded: the same run draws the same numbers.
  EXPECT_EQ(suite["fixture_draw"],
            read_json(b / "summary.json")["final"]["fixture-flip"]["fixture_draw"]);
  std::ifstream resolved(a / "pipeline.resolved.toml");
  std::string text((std::istreambuf_iterator<char>(resolved)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("[stage.fixture-flip]\nlimit = 40"), std::string::npos) << text;
  std::ifstream log(a / "log.txt");
  std::string log_text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(log_text.find("fixture-flip: flipped 40 images"), std::string::npos) << log_text;
}

TEST_F(EndToEnd, TrainingAfterAnEvaluationDropsItsResultsFromTheFinalBlock) {
  test::write_text(*dir_ / "eval-then-train.toml",
                   evaluator_pipeline(*dir_ / "data", R"(["fixture-flip"])",
                                      "\n[[stage]]\nkind = \"train\"\nepochs = 1\n"));
  fs::path out = *dir_ / "eval-then-train";
  ASSERT_EQ(gearhost("run " + (*dir_ / "eval-then-train.toml").string() + " --out " + out.string())
                .code,
            0);
  json summary = read_json(out / "summary.json");
  EXPECT_TRUE(summary["stages"][1]["fixture-flip"].contains("flip_accuracy"));
  EXPECT_FALSE(summary["final"].contains("fixture-flip")) << summary["final"].dump();
  EXPECT_TRUE(summary["final"].contains("clean_accuracy"));
}

TEST_F(EndToEnd, ClassSubsetTrainsAndTestsOnTheNamedClassesOnly) {
  // Trouser (1) and Bag (8) become labels 0 and 1, in the order given.
  std::string pipeline = test::tiny_run_and_data(*dir_ / "data", 6) +
                         "classes = [\"Bag\", \"Trouser\"]\nrelabel = true\n" +
                         test::tiny_vgg_training("0.125", 2, "lr = 0.05\n") +
                         "\n[[stage]]\nkind = \"evaluate\"\n";
  test::write_text(*dir_ / "subset.toml", pipeline);
  fs::path out = *dir_ / "run-subset";
  Result r = gearhost("run " + (*dir_ / "subset.toml").string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("classes: 2 of 10 (Bag, Trouser)"), std::string::npos) << r.output;
  // 400 training images, 40 per class: 80 remain, 20% of them held out.
  EXPECT_NE(r.output.find("64 train, 16 validation, 20 test images"), std::string::npos)
      << r.output;
  json summary = read_json(out / "summary.json");
  EXPECT_EQ(summary["classes"], (json{"Bag", "Trouser"}));
  EXPECT_EQ(summary["num_classes"], 2);
  EXPECT_GT(summary["final"]["clean_accuracy"].get<double>(), 0.75);  // two bars: easy

  test::write_text(*dir_ / "bad-subset.toml",
                   test::tiny_run_and_data(*dir_ / "data", 6) + "classes = [\"Bagg\"]\n" +
                       test::tiny_vgg_training("0.125", 1));
  Result bad = gearhost("run " + (*dir_ / "bad-subset.toml").string());
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("bad-subset.toml:11"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("unknown class 'Bagg' (did you mean 'Bag'?)"), std::string::npos)
      << bad.output;
}

}  // namespace
}  // namespace gear::e2e
