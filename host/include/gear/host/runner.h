#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include "gear/host/pipeline.h"
#include "gear/host/registry.h"

namespace gear::host {

class World;

/// How `gearhost run` was asked to run.
struct RunOptions {
  /// Put the run folder exactly here (--out); otherwise <run.out>/<name>-<timestamp>.
  std::optional<std::filesystem::path> out;
  /// Show a redrawn progress bar (a TTY); otherwise plain periodic lines.
  bool tty = false;
  /// Continue the run in `out` from its checkpoints/resume.pt (gearhost run --resume): the
  /// pipeline must be the one that run resolved (its pipeline.resolved.toml).
  bool resume = false;
  /// This process's rank of a data-parallel run (distributed/world.h), borrowed for the run;
  /// null for a single process. Rank 0 writes the run folder; the other ranks keep their working
  /// files in a private temporary folder, removed when the run ends, and write only their log,
  /// log.rank<R>.txt, into the run folder.
  World* world = nullptr;
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
