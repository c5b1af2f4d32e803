#include "gear/report/report_command.h"
#include "json_fields.h"
#include "report_inputs.h"

namespace gear::report {
namespace {

namespace fs = std::filesystem;

constexpr double kMiB = 1024.0 * 1024.0;

ReportInput run_input(const fs::path& dir) {
  ReportInput input;
  input.kind = ReportInput::Kind::kRun;
  input.dir = dir;
  RunData run = read_run(dir);
  input.name = run.name;
  input.pipeline = string_at(run.summary, "pipeline").value_or("");
  input.status = run.status;
  std::map<std::string, double> numbers;
  if (const auto* final = find_path(run.summary, "final")) flatten_numbers(*final, "", numbers);
  for (const auto& [key, value] : numbers) input.final[key] = single(value);
  if (auto wall = number_at(run.summary, "wall_seconds")) input.wall_seconds = single(*wall);
  if (auto joules = run.energy_joules()) input.energy_joules = single(*joules);
  if (!run.stages.empty()) input.train_seconds = single(run.train_seconds());
  if (auto bytes = run.peak_memory_bytes()) input.peak_memory_mib = single(*bytes / kMiB);
  if (auto watts = run.mean_power_watts()) input.mean_power_watts = single(*watts);
  input.energy_estimated = run.energy_estimated();
  input.completed = run.finished() ? 1 : 0;
  if (!run.finished()) {
    input.unfinished = true;
    input.notes.push_back(run.unfinished_note());
  }
  input.runs.push_back(std::move(run));
  return input;
}

/// The seed of a group.json run entry, as text for notes.
std::string seed_text(const nlohmann::json& entry) {
  if (auto seed = number_at(entry, "seed")) return std::to_string(static_cast<int64_t>(*seed));
  return "?";
}

/// Statistics of `figure` over the completed member runs, for groups whose group.json lacks it.
std::optional<Stat> over_members(const std::vector<RunData>& runs,
                                 std::optional<double> (*figure)(const RunData&)) {
  std::vector<double> values;
  for (const auto& run : runs)
    if (run.finished())
      if (auto value = figure(run)) values.push_back(*value);
  return stat_of(values);
}

ReportInput group_input(const fs::path& dir) {
  ReportInput input;
  input.kind = ReportInput::Kind::kGroup;
  input.dir = dir;
  const fs::path file = dir / "group.json";
  input.group = read_json_file(file);
  if (!input.group.is_object()) throw ReportError(file.string() + ": not a JSON object");
  const nlohmann::json& group = input.group;
  input.name = string_at(group, "name").value_or(dir.filename().string());
  input.pipeline = string_at(group, "pipeline").value_or("");
  input.status = string_at(group, "status").value_or("unknown");

  const nlohmann::json* final = find_path(group, "final");
  if (final && final->is_object()) {
    for (const auto& [key, value] : final->items()) {
      std::optional<Stat> stat = stat_from_json(value);
      if (!stat) continue;
      if (key == "wall_seconds")
        input.wall_seconds = stat;
      else if (key == "energy_joules")
        input.energy_joules = stat;
      else
        input.final[key] = *stat;
    }
  }
  // The totals may also sit beside `final`.
  if (!input.wall_seconds)
    if (const auto* node = find_path(group, "wall_seconds"))
      input.wall_seconds = stat_from_json(*node);
  if (!input.energy_joules)
    if (const auto* node = find_path(group, "energy_joules"))
      input.energy_joules = stat_from_json(*node);

  const nlohmann::json* runs = find_path(group, "runs");
  if (runs && runs->is_array()) {
    for (const auto& entry : *runs) {
      const std::string seed = seed_text(entry);
      std::string status = string_at(entry, "status").value_or("unknown");
      std::string note;
      const std::optional<std::string> run_dir = string_at(entry, "run_dir");
      if (run_dir && fs::is_regular_file(dir / *run_dir / "summary.json")) {
        RunData run = read_run(dir / *run_dir);
        if (!run.finished()) note = run.unfinished_note();
        status = run.status;
        input.runs.push_back(std::move(run));
      } else if (status != "completed") {
        const std::optional<std::string> error = string_at(entry, "error");
        note = error ? status + ": " + *error : status;
      } else {
        input.notes.push_back("seed " + seed + ": run folder " +
                              (run_dir ? (dir / *run_dir).string() : std::string("(not named)")) +
                              " is missing; its curves are not shown");
      }
      if (status == "completed") {
        ++input.completed;
      } else {
        input.unfinished = true;
        if (note.empty()) note = status;
        input.notes.push_back("seed " + seed + " " + note);
      }
    }
  }
  const nlohmann::json* seeds = find_path(group, "seeds");
  input.seeds = seeds && seeds->is_array()
                    ? static_cast<int>(seeds->size())
                    : static_cast<int>(runs && runs->is_array() ? runs->size() : 0);
  if (input.status != "completed") {
    input.unfinished = true;
    input.notes.insert(input.notes.begin(), "group " + input.status + ": " +
                                                std::to_string(input.completed) + " of " +
                                                std::to_string(input.seeds) + " seeds completed");
  }

  if (!input.wall_seconds)
    input.wall_seconds = over_members(
        input.runs, [](const RunData& run) { return number_at(run.summary, "wall_seconds"); });
  if (!input.energy_joules)
    input.energy_joules =
        over_members(input.runs, [](const RunData& run) { return run.energy_joules(); });
  input.train_seconds = over_members(input.runs, [](const RunData& run) {
    return run.stages.empty() ? std::nullopt : std::optional<double>(run.train_seconds());
  });
  if (!input.train_seconds) {
    // No member folder: the sum of the stages' mean times is the mean of the sums, but the
    // deviation of a sum cannot be had from the stages' deviations, so none is shown.
    const nlohmann::json* stages = find_path(group, "stages");
    if (stages && stages->is_array()) {
      std::optional<Stat> sum;
      for (const auto& stage : *stages) {
        const std::string kind = string_at(stage, "kind").value_or("");
        if (kind != "train" && kind != "grow") continue;
        const nlohmann::json* wall = find_path(stage, "wall_seconds");
        std::optional<Stat> stat = wall ? stat_from_json(*wall) : std::nullopt;
        if (!stat) continue;
        if (!sum) {
          sum = Stat{};
          sum->n = stat->n;
        }
        sum->mean += stat->mean;
        sum->n = std::min(sum->n, stat->n);
      }
      if (sum) sum->min = sum->max = sum->mean;
      input.train_seconds = sum;
    }
  }
  input.peak_memory_mib = over_members(input.runs, [](const RunData& run) {
    const std::optional<double> bytes = run.peak_memory_bytes();
    return bytes ? std::optional<double>(*bytes / kMiB) : std::nullopt;
  });
  input.mean_power_watts =
      over_members(input.runs, [](const RunData& run) { return run.mean_power_watts(); });
  for (const auto& run : input.runs) input.energy_estimated |= run.energy_estimated();
  input.energy_estimated |= bool_at(group, "meter.estimate");
  return input;
}

}  // namespace

ReportInput read_input(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) throw ReportError(path.string() + ": does not exist");
  fs::path dir = path;
  if (fs::is_regular_file(path)) {
    const std::string file = path.filename().string();
    if (file != "summary.json" && file != "group.json")
      throw ReportError(path.string() +
                        ": not a run folder, group folder, summary.json or group.json");
    dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    if (file == "group.json") return group_input(dir);
    return run_input(dir);
  }
  if (fs::is_regular_file(dir / "group.json")) return group_input(dir);
  if (fs::is_regular_file(dir / "summary.json")) return run_input(dir);
  for (const char* run_file : {"stages.json", "metrics.csv", "pipeline.resolved.toml", "env.json"})
    if (fs::exists(dir / run_file))
      throw ReportError((dir / "summary.json").string() + ": missing (the folder holds " +
                        run_file + ", so it looks like a run folder, but summary.json is gone)");
  throw ReportError(path.string() +
                    ": neither a run folder (no summary.json) nor a group folder (no group.json)");
}

}  // namespace gear::report
