// The pruning-level search: ADaPT's binary search on a problem with a known answer, and a
// search stage inside gearhost that decides on the validation split alone.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "gear/host/level_search.h"
#include "gear/host/run_context.h"
#include "test_support.h"

namespace gear::host {
namespace {

namespace fs = std::filesystem;

std::vector<double> levels_of(const LevelSearchResult& result) {
  std::vector<double> out;
  for (const auto& p : result.probes) out.push_back(std::round(p.level * 100.0) / 100.0);
  return out;
}

// Accuracy holds up to `knee`, then collapses: the answer is the highest grid level <= knee.
std::function<double(double)> knee_at(double knee, int* calls = nullptr) {
  return [knee, calls](double level) {
    if (calls) ++*calls;
    return level <= knee + 1e-9 ? 0.9 : 0.5;
  };
}

TEST(LevelSearch, MemoryOptFindsTheHighestLevelThatMeetsTheTarget) {
  for (double knee : {0.05, 0.3, 0.45, 0.5, 0.65, 0.8, 0.95}) {
    const LevelSearchResult result = search_level({}, 0.85, false, knee_at(knee));
    ASSERT_TRUE(result.best) << knee;
    EXPECT_NEAR(*result.best, knee, 1e-9) << knee;
  }
}

TEST(LevelSearch, ProbesFollowAdaptsHalvingOnTheGrid) {
  // 50 meets -> (95 + 50) / 2 = 72.5 -> 75 fails -> (50 + 75) / 2 = 62.5 -> 65 meets
  // -> (75 + 65) / 2 = 70 fails -> (65 + 70) / 2 = 67.5 -> 70, just probed: done.
  const LevelSearchResult result = search_level({}, 0.85, false, knee_at(0.65));
  EXPECT_EQ(levels_of(result), (std::vector<double>{0.5, 0.75, 0.65, 0.7}));
  EXPECT_EQ(result.probes[1].met, false);
  EXPECT_EQ(result.probes[2].level, 0.65);  // exactly the grid's value, for the records
  EXPECT_EQ(result.probes[2].met, true);
  EXPECT_DOUBLE_EQ(result.probes[2].accuracy, 0.9);
}

TEST(LevelSearch, CostOptStopsAtTheFirstLevelThatMeetsTheTarget) {
  int calls = 0;
  const LevelSearchResult result = search_level({}, 0.85, true, knee_at(0.8, &calls));
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(result.best);
  EXPECT_DOUBLE_EQ(*result.best, 0.5);
  // From a failing start it goes down until one meets it.
  const LevelSearchResult down = search_level({}, 0.85, true, knee_at(0.2));
  EXPECT_EQ(levels_of(down), (std::vector<double>{0.5, 0.3, 0.2}));
  // 50 -> 30 -> 20 -> 15 -> 10 all fail; rounding up from 10 gives 10 again, so one step down.
  const LevelSearchResult lowest = search_level({}, 0.85, true, knee_at(0.05));
  EXPECT_EQ(levels_of(lowest), (std::vector<double>{0.5, 0.3, 0.2, 0.15, 0.1, 0.05}));
}

TEST(LevelSearch, NoLevelMeetingTheTargetGivesNoneAndNoLevelIsProbedTwice) {
  int calls = 0;
  const LevelSearchResult result = search_level({}, 0.95, false, knee_at(1.0, &calls));
  EXPECT_FALSE(result.best);
  std::vector<double> levels = levels_of(result);
  std::sort(levels.begin(), levels.end());
  EXPECT_EQ(std::adjacent_find(levels.begin(), levels.end()), levels.end());
  EXPECT_EQ(calls, static_cast<int>(result.probes.size()));
  EXPECT_LE(result.probes.size(), 6u);  // a binary search, not a sweep of 19 levels
}

TEST(LevelSearch, ACustomGridIsHonoured) {
  LevelGrid grid{0.1, 0.9, 0.1, 0.3};
  const LevelSearchResult result = search_level(grid, 0.85, false, knee_at(0.6));
  ASSERT_TRUE(result.best);
  EXPECT_NEAR(*result.best, 0.6, 1e-9);
  for (const auto& p : result.probes) {
    EXPECT_NEAR(std::round(p.level * 10.0), p.level * 10.0, 1e-9) << p.level;
    EXPECT_GE(p.level, 0.1 - 1e-9);
    EXPECT_LE(p.level, 0.9 + 1e-9);
  }
}

TEST(SealedTest, EvaluatingTheTestSplitWhileSealedIsRefused) {
  Pipeline pipeline;
  Registry registry;
  RunContext run(pipeline, registry, {});
  run.test_sealed = true;
  EXPECT_THROW(run.evaluate_net(run.test, "search"), std::logic_error);
}

std::string search_pipeline(const fs::path& data, const std::string& extra = "") {
  return test::tiny_run_and_data(data, 5) + test::tiny_vgg_training("0.125", 2) + R"(
[[stage]]
kind = "search"
pruner = "l1"
mode = "memory_opt"
tolerance = 0.05
lowest = 0.2
highest = 0.8
step = 0.2
start = 0.4
)" + extra +
         R"(
[stage.retrain]
epochs = 1
lr = 0.02

[[stage]]
kind = "evaluate"
)";
}

// A search inside gearhost: probes on the grid, decided on validation accuracy, the run goes on
// with the chosen level's net, and the test split is read only after the search.
TEST(SearchStage, ARunSearchesOnValidationAndContinuesWithTheChosenNet) {
  const fs::path dir = test::temp_dir("search-run");
  test::write_tiny_fashion(dir / "data", 320, 64);
  test::write_text(dir / "p.toml", search_pipeline(dir / "data"));
  std::string output;
  const int code =
      test::run_command(std::string(GEARHOST_EXE) + " run " + (dir / "p.toml").string() +
                            " --out " + (dir / "run").string(),
                        &output);
  ASSERT_EQ(code, 0) << output;
  const nlohmann::json summary = nlohmann::json::parse(std::ifstream(dir / "run" / "summary.json"));
  const nlohmann::json& search = summary["stages"][1];
  ASSERT_EQ(search["kind"], "search");
  EXPECT_EQ(search["decided_on"], "validation");
  const nlohmann::json& probes = search["probes"];
  ASSERT_GE(probes.size(), 2u);
  EXPECT_DOUBLE_EQ(probes[0]["level"].get<double>(), 0.4);
  const double threshold = search["threshold"].get<double>();
  EXPECT_NEAR(threshold, search["reference_val_accuracy"].get<double>() - 0.05, 1e-12);
  // The chosen level is the highest probe that met the threshold.
  double best = -1.0;
  for (const auto& p : probes) {
    EXPECT_EQ(p["met"].get<bool>(), p["val_accuracy"].get<double>() >= threshold);
    if (p["met"].get<bool>()) best = std::max(best, p["level"].get<double>());
  }
  if (best < 0) {
    EXPECT_TRUE(search["level"].is_null());
  } else {
    EXPECT_DOUBLE_EQ(search["level"].get<double>(), best);
    EXPECT_EQ(summary["final"]["params"], search["pruned"]["params_after"]);
    EXPECT_LT(summary["final"]["params"].get<int64_t>(),
              summary["stages"][0]["params"].get<int64_t>());
  }
  EXPECT_EQ(search["search_cost"]["probes"].get<size_t>(), probes.size());
  EXPECT_EQ(search["search_cost"]["retrain_epochs"].get<int64_t>(),
            static_cast<int64_t>(probes.size()));
  // Costs of the net before and after, measured.
  const nlohmann::json& cost = summary["final"]["cost"];
  EXPECT_EQ(cost["unpruned"]["params"], summary["stages"][0]["params"]);
  EXPECT_EQ(cost["pruned"]["params"], summary["final"]["params"]);
  EXPECT_GT(cost["unpruned"]["latency_batch1_seconds"].get<double>(), 0.0);
  EXPECT_GT(cost["finetune_seconds"].get<double>(), 0.0);
  EXPECT_GT(cost["retrain_seconds"].get<double>(), 0.0);
  // The probes' working files are gone; the chosen net is checkpointed.
  EXPECT_TRUE(fs::exists(dir / "run" / search["checkpoint"].get<std::string>()));
  for (const auto& entry : fs::directory_iterator(dir / "run" / "checkpoints"))
    EXPECT_EQ(entry.path().string().find("probe"), std::string::npos) << entry.path();
  // The resolved pipeline runs again as written.
  std::string again;
  EXPECT_EQ(test::run_command(std::string(GEARHOST_EXE) + " validate " +
                                  (dir / "run" / "pipeline.resolved.toml").string(),
                              &again),
            0)
      << again;
}

TEST(SearchStage, BadSettingsAreErrorsAtTheKey) {
  const fs::path dir = test::temp_dir("search-bad");
  const std::string good = search_pipeline(dir / "data");
  const ConfigError no_val = test::expect_pipeline_error(good, {"data.val_split=0.0"});
  EXPECT_EQ(no_val.key(), "data.val_split");
  const ConfigError grid = test::expect_pipeline_error(good, {"stage.1.start=0.9"});
  EXPECT_EQ(grid.key(), "stage.1.start");
  const ConfigError mode = test::expect_pipeline_error(good, {"stage.1.mode=\"fast\""});
  EXPECT_EQ(mode.key(), "stage.1.mode");
  const ConfigError retrain = test::expect_pipeline_error(good, {"stage.1.retrain.epochz=1"});
  EXPECT_EQ(retrain.key(), "stage.1.retrain.epochz");
  std::string without = good;
  without.erase(without.find("[stage.retrain]"),
                std::string("[stage.retrain]\nepochs = 1\nlr = 0.02\n").size());
  const ConfigError missing = test::expect_pipeline_error(without);
  EXPECT_EQ(missing.key(), "stage.1.retrain");
}

}  // namespace
}  // namespace gear::host
