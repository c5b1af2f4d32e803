#pragma once

/// @file
/// Seed groups: one pipeline run once per seed, each run a child gearhost process writing its
/// own run folder inside one group folder, and the group's statistics over the runs in
/// group.json (docs/summary-json.md#groupjson).

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gear/host/pipeline.h"

namespace gear::host {

/// How to run a group.
struct SeedGroupOptions {
  std::filesystem::path gearhost;  ///< the executable the runs start (this one)
  std::filesystem::path pipeline_file;
  std::vector<std::string> overrides;  ///< the command line's, passed on to each run
  std::vector<std::string> plugin_paths;
  std::string log_level = "info";
  std::vector<int64_t> seeds;
  int jobs = 1;  ///< runs at once; each gets run.threads = cores / jobs unless the pipeline sets it
  std::optional<std::filesystem::path> out;  ///< the group folder exactly (else under run.out)
  /// Continue the group in `out` (gearhost run --resume GROUP): completed seeds are kept, a seed
  /// run that started is resumed (gearhost run --resume seed-<s>), the others start.
  bool resume = false;
};

/// What a group folder's group.json records of how it was started: for resuming it.
struct GroupRecord {
  std::string pipeline_file;
  std::vector<std::string> overrides;
  std::vector<int64_t> seeds;
};

/// Reads `folder`/group.json. Throws ConfigError naming the file when it cannot be read or lacks
/// a field (a group written before resuming existed has no `overrides`).
GroupRecord read_group_record(const std::filesystem::path& folder);

/// `--seeds N` as a seed list: 1..N.
std::vector<int64_t> seeds_up_to(int64_t count);

/// Statistics of one figure over a group's runs: mean, sample standard deviation (n - 1; 0 for
/// one run), min, max, n and the values in run order.
nlohmann::json figure_stats(const std::vector<double>& values);

/// Every numeric leaf of `final` (objects flattened with dots, a list of numbers by index, and
/// `widths` by the names in `groups`), e.g. "clean_accuracy", "corruptions.robust_accuracy",
/// "widths.conv1".
std::vector<std::pair<std::string, double>> final_figures(const nlohmann::json& final_block);

/// group.json's figures from the runs' summary.json objects (completed runs only): `final`
/// ({figure: stats} for figures every completed run has), `wall_seconds`, `energy_joules`, and
/// per stage index `stages` ({index, kind, name, wall_seconds, energy_joules}).
nlohmann::json group_figures(const std::vector<nlohmann::json>& summaries);

/// FNV-1a 64 of a run's pipeline.resolved.toml text without what differs between the seeds of
/// a group (the header comment, and run.seed, run.seeds, run.name and run.out), in hex: equal
/// for runs of one pipeline.
std::string pipeline_hash(const std::string& resolved_toml);

/// Runs the group and writes group.json (after each run finishes, so a killed group keeps what
/// finished). Returns the exit code: 0 when every run completed, else the largest code of a
/// failed run.
int run_seed_group(const Pipeline& pipeline, const SeedGroupOptions& options);

}  // namespace gear::host
