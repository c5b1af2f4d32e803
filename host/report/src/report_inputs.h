#pragma once

/// @file
/// The report's inputs as read from disk: run folders (summary.json, stages.json, metrics.csv,
/// pipeline.resolved.toml) and group folders (group.json and the member runs it names).

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "metrics_csv.h"
#include "stats.h"

namespace gear::report {

/// One run folder.
struct RunData {
  std::filesystem::path dir;
  nlohmann::json summary;
  /// The stage records: stages.json, or summary.json's `stages` when stages.json is missing.
  nlohmann::json stages = nlohmann::json::array();
  MetricsTable metrics;
  std::string name, status, error;
  std::optional<int64_t> seed;
  /// Hash of the normalized pipeline.resolved.toml (pipeline_identity.h).
  std::optional<std::string> pipeline_hash;

  bool finished() const { return status == "completed"; }
  /// Whether the energy figures are an estimate (energy_estimated, meter.estimate, or a stage's
  /// energy_estimated).
  bool energy_estimated() const;
  /// "failed at stage N: error" or "not finished ...", or "" for a completed run.
  std::string unfinished_note() const;
  /// Seconds of the train and grow stages.
  double train_seconds() const;
  /// The run's energy: summary.energy_joules, else the sum of the stages' energy_joules.
  std::optional<double> energy_joules() const;
  /// The largest of the stages' own peak memory (peak_memory_bytes), in bytes.
  std::optional<double> peak_memory_bytes() const;
  /// Energy over wall time: the run's mean power in watts.
  std::optional<double> mean_power_watts() const;
};

/// One input of the report: a run, or a group of seeds of one pipeline.
struct ReportInput {
  enum class Kind { kRun, kGroup };
  Kind kind = Kind::kRun;
  std::filesystem::path dir;
  std::string name, pipeline, status;
  /// The run itself, or the group's member runs whose folders exist.
  std::vector<RunData> runs;
  /// group.json (groups only).
  nlohmann::json group;
  /// Every numeric leaf of the final block by dotted key ("corruptions.robust_accuracy"): the
  /// run's figure, or the group's statistics over its seeds.
  std::map<std::string, Stat> final;
  /// Wall time and energy of the whole run (the group's statistics over seeds).
  std::optional<Stat> wall_seconds, energy_joules;
  /// Time of the train and grow stages.
  std::optional<Stat> train_seconds;
  /// The largest stage's peak memory in MiB, and the mean power in W (per run, then over seeds).
  std::optional<Stat> peak_memory_mib, mean_power_watts;
  bool energy_estimated = false;
  /// Visible notes: failures, unfinished runs, missing member folders.
  std::vector<std::string> notes;
  /// The run, or one of the group's runs, failed or did not finish: exit code 1.
  bool unfinished = false;
  /// Seeds in the group and how many completed (1 and 0/1 for a run).
  int seeds = 1, completed = 0;

  /// The stage records charts are drawn from: the run's, or the first member run's.
  const RunData* first_run() const { return runs.empty() ? nullptr : &runs.front(); }
};

/// Reads one run folder; `label` names it in errors. Throws ReportError for a missing or
/// unparseable summary.json.
RunData read_run(const std::filesystem::path& dir);

/// Reads a run or group folder (or a summary.json / group.json file given directly). Throws
/// ReportError naming the path when it is neither.
ReportInput read_input(const std::filesystem::path& path);

/// Reads a JSON file; throws ReportError naming the file and the parser's message.
nlohmann::json read_json_file(const std::filesystem::path& file);

/// Adds every numeric leaf of `node` under `prefix` to `out` (booleans and lists skipped).
void flatten_numbers(const nlohmann::json& node, const std::string& prefix,
                     std::map<std::string, double>& out);

}  // namespace gear::report
