// How pipeline stages expand into what runs: run.epoch_scale and multi-shot growth (steps = k).

#include "gear/host/stage_plan.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "gear/host/pipeline.h"
#include "test_support.h"

namespace gear::host {
namespace {

// Line 18 is `steps = 3` (value at column 9).
const char* kMultiShot = R"([run]
epoch_scale = 1.0

[model]
width = 0.125

[[stage]]
kind = "train"
epochs = 4
schedule = "step"
milestones = [2, 3]
warmup_epochs = 1.0

[[stage]]
kind = "grow"
strategy = "fixture-duplicate"
gamma = 0.44
steps = 3

[[stage]]
kind = "train"
epochs = 10

[[stage]]
kind = "evaluate"
)";

Pipeline read(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return read_pipeline(test::pipeline_file(text), overrides, test::real_and_fixture_plugins());
}

ConfigError expect_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return test::expect_pipeline_error(text, overrides, test::real_and_fixture_plugins());
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

int64_t epochs_of(const PlannedStage& p) { return p.stage.options.get<int64_t>("epochs"); }

TEST(StagePlan, ScaledEpochsRoundAndKeepAtLeastOne) {
  EXPECT_EQ(scaled_epochs(160, 0.05), 8);
  EXPECT_EQ(scaled_epochs(40, 0.05), 2);
  EXPECT_EQ(scaled_epochs(1, 0.05), 1);
  EXPECT_EQ(scaled_epochs(3, 0.5), 2);
  EXPECT_EQ(scaled_epochs(10, 0.14), 1);
  EXPECT_EQ(scaled_epochs(10, 2.0), 20);
  EXPECT_EQ(scaled_epochs(0, 0.5), 0);
  EXPECT_EQ(scaled_epochs(7, 1.0), 7);
}

TEST(StagePlan, SplitEpochsIsNearEqualAndSumsExactly) {
  EXPECT_EQ(split_epochs(10, 3), (std::vector<int64_t>{4, 3, 3}));
  EXPECT_EQ(split_epochs(3, 3), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(split_epochs(7, 1), (std::vector<int64_t>{7}));
  EXPECT_EQ(split_epochs(5, 2), (std::vector<int64_t>{3, 2}));
  for (int64_t epochs = 1; epochs <= 50; ++epochs) {
    for (int64_t parts = 1; parts <= epochs; ++parts) {
      auto s = split_epochs(epochs, parts);
      ASSERT_EQ(static_cast<int64_t>(s.size()), parts);
      EXPECT_EQ(std::accumulate(s.begin(), s.end(), int64_t{0}), epochs);
      auto [lo, hi] = std::minmax_element(s.begin(), s.end());
      EXPECT_LE(*hi - *lo, 1) << epochs << "/" << parts;
    }
  }
}

TEST(StagePlan, StepGammaCompoundsToTheTotal) {
  EXPECT_DOUBLE_EQ(step_gamma(0.9, 1), 0.9);
  EXPECT_NEAR(step_gamma(0.44, 2), 0.2, 1e-12);
  EXPECT_NEAR(step_gamma(3.0, 2), 1.0, 1e-12);
  for (int64_t k : {2, 3, 5, 8}) {
    const double g = step_gamma(0.9, k);
    EXPECT_NEAR(std::pow(1.0 + g, static_cast<double>(k)), 1.9, 1e-12) << k;
  }
}

TEST(StagePlan, SingleShotPipelineRunsAsWritten) {
  auto plan = plan_stages(read(replaced(kMultiShot, "steps = 3", "steps = 1")));
  ASSERT_EQ(plan.size(), 4u);
  for (size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(plan[i].stage.index, static_cast<int>(i));
    EXPECT_EQ(plan[i].steps, 0);
  }
  EXPECT_EQ(epochs_of(plan[2]), 10);
  EXPECT_DOUBLE_EQ(plan[1].stage.component.options.get<double>("gamma"), 0.44);
}

TEST(StagePlan, MultiShotInterleavesGrowStepsAndTrainSegments) {
  Pipeline pipeline = read(kMultiShot);
  auto plan = plan_stages(pipeline);
  ASSERT_EQ(plan.size(), 1u + 6u + 1u);
  EXPECT_EQ(plan[0].stage.kind, "train");
  EXPECT_EQ(plan[0].steps, 0);
  const double gamma = step_gamma(0.44, 3);
  const std::vector<int64_t> segments = {4, 3, 3};
  int64_t done = 0;
  for (int64_t j = 1; j <= 3; ++j) {
    const PlannedStage& grow = plan[static_cast<size_t>(2 * j - 1)];
    const PlannedStage& train = plan[static_cast<size_t>(2 * j)];
    EXPECT_EQ(grow.stage.kind, "grow");
    EXPECT_EQ(grow.stage.index, 1);
    EXPECT_EQ(grow.step, j);
    EXPECT_EQ(grow.steps, 3);
    EXPECT_DOUBLE_EQ(grow.stage.component.options.get<double>("gamma"), gamma);
    EXPECT_EQ(train.stage.kind, "train");
    EXPECT_EQ(train.stage.index, 2);
    EXPECT_EQ(train.step, j);
    EXPECT_EQ(train.steps, 3);
    EXPECT_EQ(epochs_of(train), segments[static_cast<size_t>(j - 1)]);
    EXPECT_EQ(train.first_epoch, done);
    done += epochs_of(train);
  }
  EXPECT_EQ(done, 10);
  EXPECT_EQ(plan.back().stage.kind, "evaluate");
  EXPECT_EQ(plan.back().stage.index, 3);
  // The pipeline itself, and so the resolved file, keep what was written.
  EXPECT_DOUBLE_EQ(pipeline.stages[1].component.options.get<double>("gamma"), 0.44);
  EXPECT_EQ(pipeline.stages[2].options.get<int64_t>("epochs"), 10);
  const std::string resolved = pipeline.resolved_toml();
  EXPECT_NE(resolved.find("steps = 3\n"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("epochs = 10\n"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("epoch_scale = 1.0\n"), std::string::npos) << resolved;
}

TEST(StagePlan, EpochScaleAppliesToEpochsAndScheduleBeforeSplitting) {
  auto plan = plan_stages(read(kMultiShot, {"run.epoch_scale=0.5"}));
  ASSERT_EQ(plan.size(), 8u);
  const Config& first = plan[0].stage.options;
  EXPECT_EQ(first.get<int64_t>("epochs"), 2);
  EXPECT_EQ(first.get<std::vector<int64_t>>("milestones"), (std::vector<int64_t>{1, 2}));
  EXPECT_DOUBLE_EQ(first.get<double>("warmup_epochs"), 0.5);
  EXPECT_EQ(first.get<int64_t>("step_size"), 15);
  // 10 epochs scaled to 5, then split three ways.
  EXPECT_EQ(epochs_of(plan[2]), 2);
  EXPECT_EQ(epochs_of(plan[4]), 2);
  EXPECT_EQ(epochs_of(plan[6]), 1);
  // The GEARnn quick run: 160 epochs at 0.05 is 8, one at 0.05 stays 1.
  std::string text = replaced(kMultiShot, "epochs = 10", "epochs = 160");
  text = replaced(text, "epochs = 4", "epochs = 1");
  text = replaced(text, "warmup_epochs = 1.0", "warmup_epochs = 0.0");
  auto quick = plan_stages(read(text, {"run.epoch_scale=0.05"}));
  EXPECT_EQ(epochs_of(quick[0]), 1);
  EXPECT_EQ(epochs_of(quick[2]) + epochs_of(quick[4]) + epochs_of(quick[6]), 8);
}

TEST(StagePlan, StrategyWithoutGammaCannotTakeSteps) {
  ConfigError e =
      expect_error(replaced(kMultiShot, "fixture-duplicate\"\ngamma = 0.44", "fixture-noop\""));
  EXPECT_EQ(e.key(), "stage.1.steps");
  EXPECT_EQ(e.where().line, 17);
  EXPECT_EQ(e.where().column, 9);
  EXPECT_NE(e.message().find("strategy 'fixture-noop' has no float option 'gamma'"),
            std::string::npos)
      << e.what();
}

TEST(StagePlan, NextStageMustBeTrainWithEnoughEpochs) {
  ConfigError e =
      expect_error(replaced(kMultiShot, "kind = \"train\"\nepochs = 10", "kind = \"evaluate\""));
  EXPECT_EQ(e.key(), "stage.1.steps");
  EXPECT_EQ(e.where().line, 18);
  EXPECT_EQ(e.where().column, 9);
  EXPECT_NE(e.message().find("(stage 2) must be a train stage, not 'evaluate'"), std::string::npos)
      << e.what();

  std::string last = kMultiShot;
  last.erase(last.find("\n[[stage]]\nkind = \"train\"\nepochs = 10"));
  ConfigError none = expect_error(last);
  EXPECT_EQ(none.key(), "stage.1.steps");
  EXPECT_NE(none.message().find("but there is none"), std::string::npos) << none.what();

  ConfigError few = expect_error(kMultiShot, {"stage.2.epochs=2"});
  EXPECT_EQ(few.key(), "stage.1.steps");
  EXPECT_NE(few.message().find("needs at least 3 epochs in the next train stage (stage 2), which "
                               "has 2"),
            std::string::npos)
      << few.what();

  ConfigError scaled = expect_error(kMultiShot, {"run.epoch_scale=0.2"});
  EXPECT_NE(scaled.message().find("which has 2 (after run.epoch_scale = 0.2)"), std::string::npos)
      << scaled.what();

  ConfigError zero = expect_error(kMultiShot, {"stage.1.steps=0"});
  EXPECT_EQ(zero.key(), "stage.1.steps");
  EXPECT_NE(zero.message().find("out of range >= 1"), std::string::npos) << zero.what();
}

TEST(StagePlan, WarmupLongerThanASegmentIsRefused) {
  ConfigError e = expect_error(kMultiShot, {"stage.2.warmup_epochs=3.5"});
  EXPECT_EQ(e.key(), "stage.2.warmup_epochs");
  EXPECT_NE(e.message().find("shorter than this warm-up"), std::string::npos) << e.what();
}

TEST(StagePlan, EpochScaleMustBePositive) {
  ConfigError zero = expect_error(kMultiShot, {"run.epoch_scale=0"});
  EXPECT_EQ(zero.key(), "run.epoch_scale");
  EXPECT_EQ(zero.message(), "must be > 0 (1.0 runs the epochs as written)");
  ConfigError negative = expect_error(kMultiShot, {"run.epoch_scale=-1"});
  EXPECT_EQ(negative.key(), "run.epoch_scale");
  ConfigError in_file =
      expect_error(replaced(kMultiShot, "epoch_scale = 1.0", "epoch_scale = 0.0"));
  EXPECT_EQ(in_file.where().line, 2);
  EXPECT_EQ(in_file.where().column, 15);
}

}  // namespace
}  // namespace gear::host
