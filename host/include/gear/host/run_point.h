#pragma once

/// @file
/// A run's resume point, checkpoints/resume.pt: recorded by the runner and the train loop,
/// restored by gearhost run --resume (docs/reliability.md).

#include <string>

#include "gear/host/run_context.h"
#include "gear/host/run_progress.h"

namespace gear::host {

/// Where the run stands at a resume point, beside what RunContext holds.
struct RunPosition {
  /// seconds_before and joules_before are the whole run's up to the point.
  RunProgress progress;
  size_t next_stage = 0;      ///< the planned stage the run continues at
  std::string pipeline_file;  ///< the file the run started from, for summary.json
  /// Inside a stage: its wall time and energy up to the point.
  double stage_seconds = 0.0, stage_joules = 0.0;
};

/// Writes `run`'s checkpoints/resume.pt in one atomic, durable write: run.net, the default
/// generators, `position`, the run's results so far and metrics rows and, inside a train stage,
/// `train` (may be null). `where` names the point in messages. Throws std::runtime_error naming
/// it when a parameter is NaN or infinite (the previous point is kept). Everything is borrowed.
void save_run_point(const RunContext& run, const RunPosition& position,
                    const RunContext::TrainState* train, const std::string& where);

/// Restores `run` (borrowed; its data loaded and its net built) from its folder's resume point:
/// the net at the recorded widths, the default generators, epochs_run, last_test, last_suites,
/// the metrics rows and, for a point inside a train stage, resume_train. Returns the position,
/// with this resume appended to progress.resumes. Throws std::invalid_argument (exit 2) when the
/// folder has no point, it is unreadable, or the pipeline is not the one it recorded.
RunPosition restore_run_point(RunContext& run);

}  // namespace gear::host
