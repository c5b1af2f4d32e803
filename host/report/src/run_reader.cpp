#include <fstream>
#include <sstream>

#include "gear/report/report_command.h"
#include "json_fields.h"
#include "pipeline_identity.h"
#include "report_inputs.h"

namespace gear::report {

nlohmann::json read_json_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ReportError(file.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw ReportError(file.string() + ": not valid JSON: " + e.what());
  }
}

void flatten_numbers(const nlohmann::json& node, const std::string& prefix,
                     std::map<std::string, double>& out) {
  if (node.is_number()) {
    out[prefix] = node.get<double>();
  } else if (node.is_object()) {
    for (const auto& [key, child] : node.items())
      flatten_numbers(child, prefix.empty() ? key : prefix + "." + key, out);
  }
}

bool RunData::energy_estimated() const {
  if (bool_at(summary, "energy_estimated") || bool_at(summary, "meter.estimate")) return true;
  for (const auto& stage : stages)
    if (bool_at(stage, "energy_estimated")) return true;
  return false;
}

std::string RunData::unfinished_note() const {
  if (finished()) return "";
  // The stage that stopped the run is the one after the last record written.
  const int64_t next = stages.empty() ? 0 : number_at(stages.back(), "index").value_or(-1) + 1;
  if (status == "failed")
    return "failed at stage " + std::to_string(next) + ": " +
           (error.empty() ? "(no error message)" : error);
  return "not finished (status \"" + status + "\"): stopped at stage " + std::to_string(next) +
         " after " + std::to_string(stages.size()) + " stage records";
}

double RunData::train_seconds() const {
  double seconds = 0.0;
  for (const auto& stage : stages) {
    const std::string kind = string_at(stage, "kind").value_or("");
    if (kind == "train" || kind == "grow") seconds += number_at(stage, "wall_seconds").value_or(0);
  }
  return seconds;
}

std::optional<double> RunData::energy_joules() const {
  if (auto total = number_at(summary, "energy_joules")) return total;
  std::optional<double> sum;
  for (const auto& stage : stages)
    if (auto joules = number_at(stage, "energy_joules")) sum = sum.value_or(0.0) + *joules;
  return sum;
}

std::optional<double> RunData::peak_memory_bytes() const {
  std::optional<double> peak;
  for (const auto& stage : stages)
    if (auto bytes = number_at(stage, "peak_memory_bytes"))
      peak = std::max(peak.value_or(0), *bytes);
  return peak;
}

std::optional<double> RunData::mean_power_watts() const {
  const std::optional<double> joules = energy_joules();
  const std::optional<double> seconds = number_at(summary, "wall_seconds");
  if (!joules || !seconds || *seconds <= 0) return std::nullopt;
  return *joules / *seconds;
}

RunData read_run(const std::filesystem::path& dir) {
  RunData run;
  run.dir = dir;
  const std::filesystem::path summary_file = dir / "summary.json";
  if (!std::filesystem::is_regular_file(summary_file))
    throw ReportError(summary_file.string() + ": missing (a run folder holds summary.json)");
  run.summary = read_json_file(summary_file);
  if (!run.summary.is_object()) throw ReportError(summary_file.string() + ": not a JSON object");
  const std::filesystem::path stages_file = dir / "stages.json";
  if (std::filesystem::is_regular_file(stages_file))
    run.stages = read_json_file(stages_file);
  else if (auto it = run.summary.find("stages"); it != run.summary.end())
    run.stages = *it;
  if (!run.stages.is_array()) run.stages = nlohmann::json::array();
  run.metrics = read_metrics_csv(dir / "metrics.csv");
  run.name = string_at(run.summary, "name").value_or(dir.filename().string());
  run.status = string_at(run.summary, "status").value_or("unknown");
  run.error = string_at(run.summary, "error").value_or("");
  if (auto seed = number_at(run.summary, "seed")) run.seed = static_cast<int64_t>(*seed);
  run.pipeline_hash = resolved_pipeline_hash(dir);
  return run;
}

}  // namespace gear::report
