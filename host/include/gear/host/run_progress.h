#pragma once

/// @file
/// What the runner carries from stage to stage besides the net: the stage records and the
/// figures summary.json adds up. A resume point stores it, so a resumed run reports the whole
/// run, not only its own part.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace gear::host {

struct RunProgress {
  nlohmann::json stages = nlohmann::json::array();  ///< stages.json: one record per stage run
  nlohmann::json cost_before;  ///< the net's cost before the first stage that prunes (or null)
  double finetune_seconds = 0.0, retrain_seconds = 0.0;
  /// The latency last measured and the widths it was measured at: latency depends on the
  /// widths, not the weights, so a net of those widths is not timed again.
  std::vector<int64_t> latency_widths;
  nlohmann::json latency;
  /// Wall time and energy of the processes before this one (a resumed run).
  double seconds_before = 0.0;
  double joules_before = 0.0;
  /// One entry per resume: where it continued.
  nlohmann::json resumes = nlohmann::json::array();
};

nlohmann::json to_json(const RunProgress& progress);
/// Throws nlohmann::json::exception when `value` lacks a field.
RunProgress run_progress_from_json(const nlohmann::json& value);

}  // namespace gear::host
