#pragma once

/// @file
/// Hand-built run and group folders for the report's tests: summary.json, stages.json,
/// metrics.csv, pipeline.resolved.toml and group.json written as the runner writes them
/// (docs/summary-json.md), with figures chosen so each table cell and chart has one right value.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gear::report::fixtures {

/// A completed run with every field the report reads: two train stages around a grow stage,
/// an evaluate stage (corruptions and an `instability` suite with details), a search stage with
/// probes, estimated energy, latency. Train time 75 s, wall 100.5 s, energy 1234.5 J.
nlohmann::json completed_summary(const std::string& name);
nlohmann::json completed_stages();
/// Four epochs of stages 0 and 2, two retraining epochs of the search (stage 4).
std::string completed_metrics();

/// A pipeline.resolved.toml of pipeline `variant` for `seed` (seeds differ only in [run]).
std::string resolved_toml(const std::string& variant, int seed, const std::string& run_name);

/// A run that failed in stage 1 after train stage 0 (12 s, two epochs).
nlohmann::json failed_summary(const std::string& name, const std::string& error);
nlohmann::json failed_stages();
std::string failed_metrics();

/// Writes a run folder: summary.json, stages.json (unless null), metrics.csv (unless empty),
/// pipeline.resolved.toml (unless empty).
void write_run(const std::filesystem::path& dir, const nlohmann::json& summary,
               const nlohmann::json& stages, const std::string& metrics,
               const std::string& resolved);

/// Writes a completed group of seeds 1, 2, 3 in `dir` with its member runs in seed-<s>/:
/// clean accuracy 0.90, 0.92, 0.94 (group.json: mean 0.92, std 0.02); train times (train plus
/// grow stages) 10, 20, 30 s; energy measured, not estimated.
void write_group(const std::filesystem::path& dir, const std::string& name,
                 const std::string& pipeline_variant);

void write_text(const std::filesystem::path& file, const std::string& text);
void write_json(const std::filesystem::path& file, const nlohmann::json& data);
std::string read_text(const std::filesystem::path& file);

/// The inputs of the browser test, in `root`: a completed run named `alpha</script><!--` (to
/// catch an unescaped name), a group of three seeds of another pipeline, a failed run. Their
/// page has 15 charts: 7 for the run (accuracy, loss, widths, time and energy, corruptions,
/// search probes, instability details), 5 for the group (accuracy, loss, widths, time and
/// energy, corruptions), 3 for the failed run (accuracy, loss, time).
std::vector<std::filesystem::path> write_browser_inputs(const std::filesystem::path& root);

}  // namespace gear::report::fixtures
