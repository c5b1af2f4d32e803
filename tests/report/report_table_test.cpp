// The table's figures against hand-built run and group folders: each cell's field and unit,
// the group's mean ± sample deviation, estimated energy, different pipelines, failed runs.
#include <gtest/gtest.h>

#include "pipeline_identity.h"
#include "report_test_support.h"

namespace gear::report::fixtures {
namespace {

namespace fs = std::filesystem;

fs::path completed_run(const fs::path& dir, const std::string& name = "alpha") {
  write_run(dir / name, completed_summary(name), completed_stages(), completed_metrics(),
            resolved_toml("alpha", 1, name));
  return dir / name;
}

TEST(ReportTable, RunFiguresComeFromTheirFields) {
  const fs::path dir = fresh_folder();
  const ReportOutputs out = report_of({completed_run(dir)}, dir);
  EXPECT_EQ(out.exit_code, 0);
  const std::string& md = out.markdown;
  EXPECT_EQ(markdown_cell(md, "alpha", "n"), "1");
  EXPECT_EQ(markdown_cell(md, "alpha", "clean %"), "91.23");
  // 100 * final.corruptions.robust_accuracy (not the mean corruption error, 34.57).
  EXPECT_EQ(markdown_cell(md, "alpha", "robust %"), "65.43");
  EXPECT_EQ(markdown_cell(md, "alpha", "size %"), "50.00");
  EXPECT_EQ(markdown_cell(md, "alpha", "params (M)"), "1.235");
  EXPECT_EQ(markdown_cell(md, "alpha", "MACs (M)"), "98.765");
  // Train 30 s + grow 5 s + train 40 s; the evaluate (3 s) and search (20 s) stages are not.
  EXPECT_EQ(markdown_cell(md, "alpha", "train time (s)"), "75.0");
  EXPECT_EQ(markdown_cell(md, "alpha", "total wall (s)"), "100.5");
  EXPECT_EQ(markdown_cell(md, "alpha", "energy (J)"), "1234.5 (est.)");
  EXPECT_EQ(markdown_cell(md, "alpha", "latency b1 (ms)"), "2.100");
  // final.latency_batch_seconds (0.4 ms per image at batch 128), not the batch-1 figure.
  EXPECT_EQ(markdown_cell(md, "alpha", "latency at train batch (ms/img)"), "0.400");
  // The largest stage's peak (30 MiB, stage 2), not the first stage's or their sum.
  EXPECT_EQ(markdown_cell(md, "alpha", "peak memory (MiB)"), "30");
  // 1234.5 J over 100.5 s of wall time; estimated like the energy it comes from.
  EXPECT_EQ(markdown_cell(md, "alpha", "mean power (W)"), "12.3 (est.)");
  EXPECT_EQ(markdown_cell(md, "alpha", "note"), "");
  EXPECT_EQ(csv_field(out.csv, "alpha", "clean_percent_mean"), "91.23");
  EXPECT_EQ(csv_field(out.csv, "alpha", "clean_percent_std"), "");
  EXPECT_EQ(csv_field(out.csv, "alpha", "params_mean"), "1234567");
  EXPECT_EQ(csv_field(out.csv, "alpha", "latency_batch1_ms_mean"), "2.1");
  EXPECT_EQ(csv_field(out.csv, "alpha", "energy_estimated"), "true");
  EXPECT_EQ(csv_field(out.csv, "alpha", "status"), "completed");
  EXPECT_EQ(out.out, "") << "the table went to --markdown, not to stdout";
}

TEST(ReportTable, GroupShowsMeanAndSampleDeviation) {
  const fs::path dir = fresh_folder();
  write_group(dir / "beta", "beta", "beta");
  const ReportOutputs out = report_of({dir / "beta"}, dir);
  EXPECT_EQ(out.exit_code, 0);
  const std::string& md = out.markdown;
  EXPECT_EQ(markdown_cell(md, "beta", "n"), "3");
  EXPECT_EQ(markdown_cell(md, "beta", "clean %"), "92.00 ± 2.00");
  EXPECT_EQ(markdown_cell(md, "beta", "robust %"), "61.00 ± 1.00");
  EXPECT_EQ(markdown_cell(md, "beta", "size %"), "25.00 ± 0.50");
  EXPECT_EQ(markdown_cell(md, "beta", "params (M)"), "0.500 ± 0.000");
  // From the member runs' stages (10, 20, 30 s): the sample deviation is 10; the population
  // deviation would be 8.2.
  EXPECT_EQ(markdown_cell(md, "beta", "train time (s)"), "20.0 ± 10.0");
  EXPECT_EQ(markdown_cell(md, "beta", "total wall (s)"), "21.0 ± 10.0");
  EXPECT_EQ(markdown_cell(md, "beta", "energy (J)"), "200.0 ± 100.0");
  EXPECT_EQ(markdown_cell(md, "beta", "latency b1 (ms)"), "1.500 ± 0.100");
  EXPECT_EQ(csv_field(out.csv, "beta", "kind"), "group");
  EXPECT_EQ(csv_field(out.csv, "beta", "clean_percent_std"), "2");
  EXPECT_EQ(csv_field(out.csv, "beta", "train_seconds_std"), "10");
  EXPECT_EQ(csv_field(out.csv, "beta", "energy_estimated"), "false");
  EXPECT_NE(out.html.find("<td class=\"num\">92.00 ± 2.00</td>"), std::string::npos);
}

TEST(ReportTable, GroupWithoutMemberFoldersSumsTheStageMeans) {
  const fs::path dir = fresh_folder();
  write_group(dir / "beta", "beta", "beta");
  for (int seed = 1; seed <= 3; ++seed)
    fs::remove_all(dir / "beta" / ("seed-" + std::to_string(seed)));
  const ReportOutputs out = report_of({dir / "beta"}, dir);
  EXPECT_EQ(out.exit_code, 0);
  // group.json's stage means: train 10 + grow 4 + train 6; no deviation of a sum from them.
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "train time (s)"), "20.0");
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "clean %"), "92.00 ± 2.00");
  EXPECT_NE(markdown_cell(out.markdown, "beta", "note").find("seed 2: run folder"),
            std::string::npos);
}

TEST(ReportTable, EnergyIsMarkedEstimatedOnlyWhenMeasuredSo) {
  const fs::path dir = fresh_folder();
  nlohmann::json summary = completed_summary("measured");
  summary["meter"]["estimate"] = false;
  nlohmann::json stages = completed_stages();
  for (auto& stage : stages) stage["energy_estimated"] = false;
  write_run(dir / "measured", summary, stages, completed_metrics(), "");
  stages[1]["energy_estimated"] = true;  // one stage's meter was an estimate
  summary["name"] = "one-stage-estimated";
  write_run(dir / "mixed", summary, stages, completed_metrics(), "");
  // No summary total: the stages' energies are summed (300 + 50 + 400 + 30 + 200).
  summary.erase("energy_joules");
  summary["name"] = "summed";
  write_run(dir / "summed", summary, completed_stages(), completed_metrics(), "");
  // The summary's own flag, with a meter object that does not say.
  summary = completed_summary("flagged");
  summary["meter"].erase("estimate");
  summary["energy_estimated"] = true;
  stages = completed_stages();
  for (auto& stage : stages) stage.erase("energy_estimated");
  write_run(dir / "flagged", summary, stages, completed_metrics(), "");
  const ReportOutputs out =
      report_of({dir / "measured", dir / "mixed", dir / "summed", dir / "flagged"}, dir);
  EXPECT_EQ(markdown_cell(out.markdown, "flagged", "energy (J)"), "1234.5 (est.)");
  EXPECT_EQ(markdown_cell(out.markdown, "measured", "energy (J)"), "1234.5");
  EXPECT_EQ(markdown_cell(out.markdown, "one-stage-estimated", "energy (J)"), "1234.5 (est.)");
  EXPECT_EQ(markdown_cell(out.markdown, "summed", "energy (J)"), "980.0 (est.)");
  EXPECT_EQ(csv_field(out.csv, "measured", "energy_estimated"), "false");
}

TEST(ReportTable, GroupOfOneSeedShowsNoDeviation) {
  const fs::path dir = fresh_folder();
  write_group(dir / "beta", "beta", "beta");
  nlohmann::json group = nlohmann::json::parse(read_text(dir / "beta" / "group.json"));
  group["seeds"] = {1};
  group["runs"] = {group["runs"][0]};
  // As seed_group.cpp writes one run: std 0, n 1; the totals beside `final`.
  group["final"] = {
      {"clean_accuracy",
       {{"mean", 0.9}, {"std", 0.0}, {"min", 0.9}, {"max", 0.9}, {"n", 1}, {"values", {0.9}}}}};
  group["wall_seconds"] = {{"mean", 11.0}, {"std", 0.0}, {"n", 1}, {"values", {11.0}}};
  write_json(dir / "beta" / "group.json", group);
  const ReportOutputs out = report_of({dir / "beta"}, dir);
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "n"), "1");
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "clean %"), "90.00");
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "total wall (s)"), "11.0");
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "train time (s)"), "10.0");
}

TEST(ReportTable, DifferentPipelinesAreSaidAboveTheTable) {
  const fs::path dir = fresh_folder();
  write_group(dir / "beta", "beta", "beta");
  const ReportOutputs out = report_of({completed_run(dir), dir / "beta"}, dir);
  const std::string expected =
      "**Note:** The inputs come from 2 different pipelines (by their resolved pipelines): "
      "examples/pipelines/alpha.toml [" +
      text_hash(normalized_resolved_toml(resolved_toml("alpha", 1, "alpha"))).substr(0, 8) +
      "] (alpha); examples/pipelines/beta.toml [" +
      text_hash(normalized_resolved_toml(resolved_toml("beta", 1, "beta"))).substr(0, 8) +
      "] (beta).\n\n| input";
  EXPECT_EQ(out.markdown.rfind(expected, 0), 0u) << out.markdown;
  EXPECT_EQ(csv_field(out.csv, "alpha", "different_pipelines"), "true");
  EXPECT_NE(out.html.find("id=\"pipelines-note\""), std::string::npos);
}

TEST(ReportTable, SeedsOfOnePipelineAreTheSamePipeline) {
  const fs::path dir = fresh_folder();
  // Seeds differ in the header comment and in [run] seed, name and out only.
  nlohmann::json one = completed_summary("one"), two = completed_summary("two");
  two["pipeline"] = "elsewhere/alpha-copy.toml";
  write_run(dir / "one", one, completed_stages(), completed_metrics(),
            resolved_toml("alpha", 1, "one"));
  write_run(dir / "two", two, completed_stages(), completed_metrics(),
            resolved_toml("alpha", 2, "two"));
  ReportOutputs out = report_of({dir / "one", dir / "two"}, dir);
  EXPECT_EQ(out.markdown.rfind("| input", 0), 0u) << out.markdown;
  EXPECT_EQ(csv_field(out.csv, "one", "different_pipelines"), "false");

  // A stage's seed is part of the pipeline: only [run]'s seed is dropped.
  std::string three_toml = resolved_toml("alpha", 3, "three");
  three_toml.replace(three_toml.rfind("seed = 7"), 8, "seed = 8");
  write_run(dir / "three", completed_summary("three"), completed_stages(), completed_metrics(),
            three_toml);
  out = report_of({dir / "one", dir / "three"}, dir);
  EXPECT_EQ(out.markdown.rfind("**Note:** The inputs come from 2 different pipelines", 0), 0u)
      << out.markdown;
}

TEST(ReportTable, FailedRunIsNotedAndExitsOne) {
  const fs::path dir = fresh_folder();
  write_run(dir / "broken", failed_summary("broken", "stage 1 (grow, osg): out of <memory>"),
            failed_stages(), failed_metrics(), "");
  const ReportOutputs out = report_of({completed_run(dir), dir / "broken"}, dir);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(markdown_cell(out.markdown, "broken", "note"),
            "failed at stage 1: stage 1 (grow, osg): out of <memory>");
  EXPECT_EQ(markdown_cell(out.markdown, "broken", "train time (s)"), "12.0");
  EXPECT_EQ(markdown_cell(out.markdown, "broken", "clean %"), "—");
  EXPECT_EQ(markdown_cell(out.markdown, "alpha", "note"), "");
  EXPECT_EQ(csv_field(out.csv, "broken", "status"), "failed");
  EXPECT_EQ(csv_field(out.csv, "broken", "clean_percent_mean"), "");
  EXPECT_NE(out.html.find("<td>failed at stage 1: stage 1 (grow, osg): out of &lt;memory&gt;</td>"),
            std::string::npos);
  EXPECT_NE(out.html.find("<div class=\"notes\" id=\"notes\">\n<p>broken: failed at stage 1: "
                          "stage 1 (grow, osg): out of &lt;memory&gt;</p>"),
            std::string::npos);
}

TEST(ReportTable, RunStillRunningIsNotedAndExitsOne) {
  const fs::path dir = fresh_folder();
  nlohmann::json summary = failed_summary("busy", "");
  summary["status"] = "running";
  summary.erase("error");
  write_run(dir / "busy", summary, failed_stages(), failed_metrics(), "");
  const ReportOutputs out = report_of({dir / "busy"}, dir);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(markdown_cell(out.markdown, "busy", "note"),
            "not finished (status \"running\"): stopped at stage 1 after 1 stage records");
}

TEST(ReportTable, PartialGroupNotesTheFailedSeed) {
  const fs::path dir = fresh_folder();
  write_group(dir / "beta", "beta", "beta");
  nlohmann::json group = nlohmann::json::parse(read_text(dir / "beta" / "group.json"));
  group["status"] = "partial";
  group["runs"][2]["status"] = "failed";
  group["runs"][2]["error"] = "stage 2: loss is nan";
  write_json(dir / "beta" / "group.json", group);
  fs::remove_all(dir / "beta" / "seed-3");
  const ReportOutputs out = report_of({dir / "beta"}, dir);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "n"), "2/3");
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "note"),
            "group partial: 2 of 3 seeds completed; seed 3 failed: stage 2: loss is nan");
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "clean %"), "92.00 ± 2.00 (n=3)");
  // Over the two member runs left: 10 and 20 s.
  EXPECT_EQ(markdown_cell(out.markdown, "beta", "train time (s)"), "15.0 ± 7.1");
}

TEST(ReportTable, MarkdownEscapesPipesInNames) {
  const fs::path dir = fresh_folder();
  const ReportOutputs out = report_of({completed_run(dir, "a|b")}, dir);
  EXPECT_NE(out.markdown.find("| a\\|b |"), std::string::npos) << out.markdown;
  EXPECT_EQ(markdown_row(out.markdown, "a|b").size(), markdown_row(out.markdown, "input").size());
  EXPECT_EQ(csv_field(out.csv, "a|b", "clean_percent_mean"), "91.23");
}

}  // namespace
}  // namespace gear::report::fixtures
