// Metering inside gearhost: energy per stage and per epoch integrated from a meter whose power
// is known (the estimate meter on a fixture /proc/stat that stays idle, so its power is exactly
// idle_watts), the fallback from a sensor that is not there, memory and latency records,
// TensorBoard files, seed groups, and the refusals of bad input.
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

constexpr double kIdleWatts = 20.0;

// Every cpu line idle and unchanging: busy core-seconds stay 0 between samples.
void write_idle_proc_stat(const fs::path& root) {
  fs::create_directories(root / "proc");
  test::write_text(root / "proc" / "stat",
                   "cpu  100 0 50 10000 0 0 0 0 0 0\ncpu0 50 0 25 5000 0 0 0 0 0 0\n"
                   "cpu1 50 0 25 5000 0 0 0 0 0 0\nintr 0\nctxt 0\nbtime 0\n");
}

std::string pipeline(const fs::path& data, const std::string& meter, int epochs = 2) {
  return test::tiny_run_and_data(data, 3) + meter + test::tiny_vgg_training("0.125", epochs) +
         "\n[[stage]]\nkind = \"evaluate\"\n";
}

std::vector<json> metrics_rows(const fs::path& run) {
  const auto table = test::read_csv(run / "metrics.csv");
  std::vector<json> rows;
  for (size_t r = 1; r < table.size(); ++r) {
    json row;
    for (size_t i = 0; i < table[r].size() && i < table[0].size(); ++i) {
      const std::string& cell = table[r][i];
      if (cell.empty()) continue;
      try {
        row[table[0][i]] = std::stod(cell);
      } catch (const std::exception&) {
        row[table[0][i]] = cell;
      }
    }
    rows.push_back(row);
  }
  return rows;
}

class MeteredRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(test::temp_dir("metered-run"));
    test::write_tiny_fashion(*dir_ / "data", 320, 80);
    write_idle_proc_stat(*dir_ / "root");
    const std::string meter =
        "\n[meter]\nplugin = \"estimate\"\nroot = \"" + (*dir_ / "root").string() +
        "\"\nidle_watts = " + std::to_string(kIdleWatts) + "\nperiod_ms = 20\n";
    test::write_text(*dir_ / "p.toml", pipeline(*dir_ / "data", meter));
    run_ = new Ran(
        gearhost("run " + (*dir_ / "p.toml").string() + " --out " + (*dir_ / "run").string()));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete dir_;
  }
  static fs::path* dir_;
  static Ran* run_;
};
fs::path* MeteredRun::dir_ = nullptr;
Ran* MeteredRun::run_ = nullptr;

TEST_F(MeteredRun, StageEnergyIsPowerTimesTheStagesTime) {
  ASSERT_EQ(run_->code, 0) << run_->output;
  const json summary = summary_of(*dir_ / "run");
  double stage_energy = 0.0;
  for (const json& stage : summary["stages"]) {
    const double wall = stage["wall_seconds"].get<double>();
    const double energy = stage["energy_joules"].get<double>();
    EXPECT_NEAR(energy, kIdleWatts * wall, 0.02 * kIdleWatts * wall + 0.02) << stage.dump();
    EXPECT_NEAR(stage["mean_power_watts"].get<double>(), kIdleWatts, 0.5);
    EXPECT_TRUE(stage["energy_estimated"].get<bool>());
    EXPECT_NEAR(stage["energy"]["cpu-estimate"].get<double>(), energy, 1e-9);
    stage_energy += energy;
  }
  const double total = summary["energy_joules"].get<double>();
  EXPECT_GE(total, stage_energy);
  EXPECT_LE(total, kIdleWatts * summary["wall_seconds"].get<double>() + 0.1);
  EXPECT_TRUE(summary["energy_estimated"].get<bool>());
  EXPECT_EQ(summary["meter"]["name"], "estimate");
}

TEST_F(MeteredRun, EpochEnergyCoversTheEpochsTrainingTime) {
  ASSERT_EQ(run_->code, 0) << run_->output;
  const std::vector<json> rows = metrics_rows(*dir_ / "run");
  ASSERT_EQ(rows.size(), 2u);
  const json summary = summary_of(*dir_ / "run");
  double epochs_energy = 0.0;
  for (const json& row : rows) {
    ASSERT_TRUE(row.contains("energy_joules")) << row.dump();
    const double energy = row["energy_joules"].get<double>();
    // The epoch's span holds its training time and its validation pass.
    EXPECT_GE(energy, kIdleWatts * row["seconds"].get<double>() * 0.98);
    epochs_energy += energy;
  }
  EXPECT_LE(epochs_energy, summary["stages"][0]["energy_joules"].get<double>() + 1e-6);
}

TEST_F(MeteredRun, EnvRecordsTheMeter) {
  ASSERT_EQ(run_->code, 0) << run_->output;
  const json env = json::parse(std::ifstream(*dir_ / "run" / "env.json"));
  EXPECT_EQ(env["meter"]["name"], "estimate");
  EXPECT_TRUE(env["meter"]["estimate"].get<bool>());
  EXPECT_DOUBLE_EQ(env["meter"]["period_ms"].get<double>(), 20.0);
  EXPECT_EQ(env["meter"]["domains"][0]["name"], "cpu-estimate");
  EXPECT_NE(run_->output.find("ESTIMATE"), std::string::npos) << run_->output;
}

TEST_F(MeteredRun, MemoryAndLatencyAreRecorded) {
  ASSERT_EQ(run_->code, 0) << run_->output;
  const json summary = summary_of(*dir_ / "run");
  const json& train = summary["stages"][0];
  EXPECT_GT(train["peak_memory_bytes"].get<int64_t>(), 1 << 20);
  EXPECT_TRUE(train["peak_memory_per_stage"].get<bool>());
  // The process's peak so far never falls below a stage's own peak, nor from stage to stage.
  int64_t process_peak = 0;
  for (const json& stage : summary["stages"]) {
    EXPECT_GE(stage["peak_rss_bytes"].get<int64_t>(), stage["peak_memory_bytes"].get<int64_t>());
    EXPECT_GE(stage["peak_rss_bytes"].get<int64_t>(), process_peak);
    process_peak = stage["peak_rss_bytes"].get<int64_t>();
  }
  // The first stage leaves widths never measured: it carries the latency; the evaluate stage
  // changed nothing and does not.
  EXPECT_GT(train["latency_batch1_seconds"].get<double>(), 0.0);
  EXPECT_FALSE(summary["stages"][1].contains("latency_batch1_seconds"));
  const json& final = summary["final"];
  EXPECT_GT(final["latency_batch1_seconds"].get<double>(), 0.0);
  EXPECT_GT(final["latency_batch_seconds"].get<double>(), 0.0);
  EXPECT_EQ(final["latency_batch"].get<int>(), 32);
  // Per image, a batch of 32 is no slower than 32 single images.
  EXPECT_LT(final["latency_batch_seconds"].get<double>(),
            final["latency_batch1_seconds"].get<double>() * 1.5);
}

TEST_F(MeteredRun, TensorBoardEventsAreWritten) {
  ASSERT_EQ(run_->code, 0) << run_->output;
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(*dir_ / "run" / "tensorboard"))
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0) {
      ++files;
      EXPECT_GT(fs::file_size(entry.path()), 200u);
    }
  EXPECT_EQ(files, 1u);
}

TEST(MeterFallback, MissingSensorsFallBackToTheEstimate) {
  const fs::path dir = test::temp_dir("meter-fallback");
  test::write_tiny_fashion(dir / "data", 160, 40);
  write_idle_proc_stat(dir / "root");
  const std::string meter =
      "\n[meter]\nplugin = \"rapl\"\nroot = \"" + (dir / "root").string() + "\"\n";
  test::write_text(dir / "p.toml", pipeline(dir / "data", meter, 1));
  const Ran ran = gearhost("run " + (dir / "p.toml").string() + " --out " + (dir / "run").string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  EXPECT_NE(ran.output.find("falling back to 'estimate'"), std::string::npos) << ran.output;
  const json env = json::parse(std::ifstream(dir / "run" / "env.json"));
  EXPECT_EQ(env["meter"]["name"], "estimate");
  ASSERT_FALSE(env["meter"]["warnings"].empty());
  EXPECT_NE(env["meter"]["warnings"][0].get<std::string>().find("rapl"), std::string::npos);
  EXPECT_TRUE(summary_of(dir / "run")["stages"][0]["energy_estimated"].get<bool>());
}

TEST(MeterNone, NoMeterNoEnergyFields) {
  const fs::path dir = test::temp_dir("meter-none");
  test::write_tiny_fashion(dir / "data", 160, 40);
  test::write_text(dir / "p.toml", pipeline(dir / "data", "\n[meter]\nplugin = \"none\"\n", 1));
  const Ran ran = gearhost("run " + (dir / "p.toml").string() + " --out " + (dir / "run").string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const json summary = summary_of(dir / "run");
  EXPECT_EQ(summary["meter"]["name"], "none");
  EXPECT_FALSE(summary.contains("energy_joules"));
  EXPECT_FALSE(summary["stages"][0].contains("energy_joules"));
  EXPECT_EQ(metrics_rows(dir / "run").at(0).count("energy_joules"), 0u);
}

TEST(SeedGroupRun, TwoSeedsInParallelMakeOneGroup) {
  const fs::path dir = test::temp_dir("seed-group");
  test::write_tiny_fashion(dir / "data", 160, 40);
  test::write_text(dir / "p.toml", pipeline(dir / "data", "\n[meter]\nplugin = \"none\"\n", 1));
  const Ran ran = gearhost("run " + (dir / "p.toml").string() + " --seeds 2 --jobs 2 --out " +
                           (dir / "group").string());
  ASSERT_EQ(ran.code, 0) << ran.output;
  const json group = json::parse(std::ifstream(dir / "group" / "group.json"));
  EXPECT_EQ(group["status"], "completed");
  EXPECT_EQ(group["seeds"], json({1, 2}));
  ASSERT_EQ(group["runs"].size(), 2u);
  std::vector<double> accuracies;
  for (int seed : {1, 2}) {
    const fs::path run = dir / "group" / ("seed-" + std::to_string(seed));
    const json summary = summary_of(run);
    EXPECT_EQ(summary["seed"].get<int>(), seed);
    EXPECT_EQ(summary["status"], "completed");
    accuracies.push_back(summary["final"]["clean_accuracy"].get<double>());
    EXPECT_TRUE(fs::exists(dir / "group" / ("seed-" + std::to_string(seed) + ".console.txt")));
  }
  const json& acc = group["final"]["clean_accuracy"];
  EXPECT_EQ(acc["values"], json(accuracies));
  EXPECT_NEAR(acc["mean"].get<double>(), (accuracies[0] + accuracies[1]) / 2, 1e-12);
  EXPECT_NEAR(acc["std"].get<double>(), std::abs(accuracies[0] - accuracies[1]) / std::sqrt(2.0),
              1e-12);
  EXPECT_EQ(group["final"]["params"]["n"].get<int>(), 2);
  EXPECT_EQ(group["stages"].size(), 2u);
}

TEST(SeedGroupRun, AFailedSeedMakesThePartialGroupFail) {
  const fs::path dir = test::temp_dir("seed-group-fail");
  test::write_tiny_fashion(dir / "data", 160, 40);
  test::write_text(dir / "p.toml", pipeline(dir / "data", "\n[meter]\nplugin = \"none\"\n", 1));
  // Seed 2's run folder cannot be made: a file is in its way.
  fs::create_directories(dir / "group");
  test::write_text(dir / "group" / "seed-2", "in the way");
  const Ran ran = gearhost("run " + (dir / "p.toml").string() + " --out " +
                           (dir / "group").string() + " run.seeds=[1,2]");
  EXPECT_NE(ran.code, 0) << ran.output;
  const json group = json::parse(std::ifstream(dir / "group" / "group.json"));
  EXPECT_EQ(group["status"], "partial");
  EXPECT_EQ(group["runs"][0]["status"], "completed");
  EXPECT_EQ(group["runs"][1]["status"], "failed");
  EXPECT_FALSE(group["runs"][1]["error"].get<std::string>().empty());
  EXPECT_EQ(group["final"]["clean_accuracy"]["n"].get<int>(), 1);
}

struct BadInput {
  const char* args;     // after "run p.toml"
  const char* meter;    // the [meter] table, or ""
  const char* message;  // part of the expected error
};

TEST(MeteringBadInput, RefusedWithExitTwo) {
  const fs::path dir = test::temp_dir("metering-bad");
  test::write_tiny_fashion(dir / "data", 160, 40);
  const BadInput cases[] = {
      {"--seeds 0", "", "--seeds"},
      {"--jobs 2", "", "give --seeds N or run.seeds"},
      {"--jobs 0 --seeds 2", "", "--jobs"},
      {"run.seeds=[1,1]", "", "listed twice"},
      {"run.seeds=[-1]", "", "negative"},
      {"--seeds 2 run.seeds=[1,2]", "", "keep one of them"},
      {"", "\n[meter]\nplugin = \"rapll\"\n", "rapl"},
      {"", "\n[meter]\nplugin = \"estimate\"\nperiod_ms = 0\n", "period_ms"},
      {"", "\n[meter]\nplugin = \"none\"\nroot = \"/\"\n", "root"},
  };
  int i = 0;
  for (const BadInput& c : cases) {
    const fs::path file = dir / ("p" + std::to_string(i++) + ".toml");
    test::write_text(file, pipeline(dir / "data", c.meter, 1));
    const Ran ran = gearhost("run " + file.string() + " " + c.args + " --out " +
                             (dir / ("run" + std::to_string(i))).string());
    EXPECT_EQ(ran.code, 2) << c.args << c.meter << "\n" << ran.output;
    EXPECT_NE(ran.output.find(c.message), std::string::npos) << c.args << "\n" << ran.output;
  }
}

}  // namespace
}  // namespace gear::host
