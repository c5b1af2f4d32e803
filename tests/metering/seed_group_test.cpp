// A seed group's statistics against their definitions: the sample standard deviation, figures
// flattened by name, only completed runs counted, and a pipeline hash blind to the seed alone.
#include "gear/host/seed_group.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gear::host {
namespace {

using nlohmann::json;

TEST(SeedGroup, FigureStatsUseTheSampleStandardDeviation) {
  const json stats = figure_stats({0.80, 0.84, 0.90});
  const double mean = (0.80 + 0.84 + 0.90) / 3.0;
  const double var = ((0.80 - mean) * (0.80 - mean) + (0.84 - mean) * (0.84 - mean) +
                      (0.90 - mean) * (0.90 - mean)) /
                     2.0;
  EXPECT_NEAR(stats["mean"].get<double>(), mean, 1e-12);
  EXPECT_NEAR(stats["std"].get<double>(), std::sqrt(var), 1e-12);
  EXPECT_DOUBLE_EQ(stats["min"].get<double>(), 0.80);
  EXPECT_DOUBLE_EQ(stats["max"].get<double>(), 0.90);
  EXPECT_EQ(stats["n"].get<int>(), 3);
  EXPECT_EQ(stats["values"].size(), 3u);
  EXPECT_DOUBLE_EQ(figure_stats({0.5})["std"].get<double>(), 0.0);
}

TEST(SeedGroup, SeedsUpToCountFromOne) {
  EXPECT_EQ(seeds_up_to(3), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_TRUE(seeds_up_to(0).empty());
}

TEST(SeedGroup, FinalFiguresFlattenByName) {
  const json final = {
      {"clean_accuracy", 0.9},
      {"widths", {4, 8}},
      {"groups", {"conv1", "conv2"}},
      {"corruptions", {{"robust_accuracy", 0.7}, {"details", {{"fog", {{"severity_1", 0.8}}}}}}},
      {"name", "text is not a figure"}};
  std::map<std::string, double> figures;
  for (const auto& [k, v] : final_figures(final)) figures[k] = v;
  EXPECT_DOUBLE_EQ(figures.at("clean_accuracy"), 0.9);
  EXPECT_DOUBLE_EQ(figures.at("widths.conv1"), 4.0);
  EXPECT_DOUBLE_EQ(figures.at("widths.conv2"), 8.0);
  EXPECT_DOUBLE_EQ(figures.at("corruptions.robust_accuracy"), 0.7);
  EXPECT_DOUBLE_EQ(figures.at("corruptions.details.fog.severity_1"), 0.8);
  EXPECT_EQ(figures.count("name"), 0u);
  EXPECT_EQ(figures.count("widths.0"), 0u);
}

json run_summary(const std::string& status, double accuracy, double wall, double energy) {
  json s = {{"status", status},
            {"wall_seconds", wall},
            {"energy_joules", energy},
            {"stages",
             {{{"index", 0},
               {"kind", "train"},
               {"name", ""},
               {"wall_seconds", wall - 1.0},
               {"energy_joules", energy - 2.0}}}}};
  if (status == "completed") s["final"] = {{"clean_accuracy", accuracy}, {"params", 100}};
  return s;
}

TEST(SeedGroup, GroupFiguresCountCompletedRunsOnly) {
  const json group = group_figures({run_summary("completed", 0.8, 10.0, 100.0),
                                    run_summary("failed", 0.0, 3.0, 5.0),
                                    run_summary("completed", 0.9, 12.0, 140.0)});
  EXPECT_EQ(group["final"]["clean_accuracy"]["n"].get<int>(), 2);
  EXPECT_NEAR(group["final"]["clean_accuracy"]["mean"].get<double>(), 0.85, 1e-12);
  EXPECT_NEAR(group["final"]["clean_accuracy"]["std"].get<double>(), std::sqrt(0.005), 1e-12);
  EXPECT_DOUBLE_EQ(group["wall_seconds"]["mean"].get<double>(), 11.0);
  EXPECT_DOUBLE_EQ(group["energy_joules"]["max"].get<double>(), 140.0);
  ASSERT_EQ(group["stages"].size(), 1u);
  EXPECT_DOUBLE_EQ(group["stages"][0]["wall_seconds"]["mean"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(group["stages"][0]["energy_joules"]["min"].get<double>(), 98.0);
}

TEST(SeedGroup, PipelineHashIgnoresSeedAndNameOnly) {
  const std::string a =
      "# Resolved from a.toml\n\n[run]\nname = \"x\"\nseed = 1\nseeds = [1, 2]\nout = \"runs\"\n"
      "threads = 1\n\n[data]\nbatch_size = 32\nseed = 4\n";
  std::string b = a;
  b.replace(b.find("seed = 1"), 8, "seed = 7");
  b.replace(b.find("a.toml"), 6, "b.toml");
  EXPECT_EQ(pipeline_hash(a), pipeline_hash(b));
  std::string c = a;
  c.replace(c.find("batch_size = 32"), 15, "batch_size = 64");
  EXPECT_NE(pipeline_hash(a), pipeline_hash(c));
  // A `seed` key outside [run] is the pipeline's, not the run's.
  std::string d = a;
  d.replace(d.find("seed = 4"), 8, "seed = 5");
  EXPECT_NE(pipeline_hash(a), pipeline_hash(d));
  std::string e = a;
  e.replace(e.find("threads = 1"), 11, "threads = 2");
  EXPECT_NE(pipeline_hash(a), pipeline_hash(e));
  EXPECT_EQ(pipeline_hash(a).size(), 16u);
}

}  // namespace
}  // namespace gear::host
