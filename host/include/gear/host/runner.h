#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include "gear/host/pipeline.h"
#include "gear/host/registry.h"

namespace gear::host {

/// How `gearhost run` was asked to run.
struct RunOptions {
  /// Put the run folder exactly here (--out); otherwise <run.out>/<name>-<timestamp>.
  std::optional<std::filesystem::path> out;
  /// Show a redrawn progress bar (a TTY); otherwise plain periodic lines.
  bool tty = false;
  /// Continue the run in `out` from its checkpoints/resume.pt (gearhost run --resume): the
  /// pipeline must be the one that run resolved (its pipeline.resolved.toml).
  bool resume = false;
};

/// Runs every stage of a validated pipeline and returns summary.json's content. The run folder
/// is kept current after every epoch and stage, so a crash or kill loses no finished work: a
/// resume point (checkpoints/resume.pt) is recorded at every stage's end and, inside train
/// stages, per run.checkpoint_every; RunOptions::resume continues from it, ending with the same
/// weights and metrics as a run never stopped. On failure summary.json says "failed" with the
/// error, and the exception propagates; after a stop signal it says "interrupted" and
/// Interrupted (run_signals.h) propagates.
nlohmann::json run_pipeline(const Pipeline& pipeline, const Registry& registry,
                            const RunOptions& options);

}  // namespace gear::host
