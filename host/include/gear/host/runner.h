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
};

/// Runs every stage of a validated pipeline and returns summary.json's content. The run folder
/// is kept current after every epoch and stage, so a crash or kill loses no finished work; on
/// failure summary.json says "failed" with the error, and the exception propagates.
nlohmann::json run_pipeline(const Pipeline& pipeline, const Registry& registry,
                            const RunOptions& options);

}  // namespace gear::host
