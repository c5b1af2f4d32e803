#pragma once

/// @file
/// The epochs of a train stage, for every stage kind that trains: the train stage itself, and a
/// search stage retraining each pruned probe.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "gear/host/pipeline.h"

namespace gear::host {

struct RunContext;

/// What to train: a train stage's spec (options, augmentation, objective) and how the epochs
/// fit into the run.
struct TrainRequest {
  const StageSpec* stage = nullptr;  ///< borrowed for the call
  /// Epoch count of earlier segments of the same pipeline stage, so no segment repeats a
  /// shuffle; the stage's index seeds the shuffles.
  int64_t first_epoch = 0;
  /// " segment 2/3" or " probe 55%": added to the log lines.
  std::string label;
  /// Columns added to each metrics.csv row ({"probe": 0.55}).
  nlohmann::json columns = nlohmann::json::object();
  /// False: no best.pt / last.pt (a search's probes), whatever the stage's `checkpoint` says.
  bool checkpoints = true;
  /// Non-empty: the weights of the epoch with the best validation accuracy are saved here.
  std::filesystem::path best_to;
  /// True: the epochs record resume points (run.checkpoint_every, and after a stop signal), and
  /// continue from RunContext::resume_train when the run resumes inside them. Only a call that
  /// is its stage's whole work may set it: a stage that trains among other work restarts from
  /// its start on resume.
  bool resumable = false;
};

/// What the epochs did.
struct TrainOutcome {
  nlohmann::json record;    ///< the train stage's stages.json fields
  double best_val = -1.0;   ///< best validation accuracy over the epochs (-1: none)
  double final_val = -1.0;  ///< validation accuracy after the last epoch (-1: none)
  int64_t best_epoch = 0;   ///< the epoch (1-based, of this call) with best_val
};

/// Trains `run.net` (the run is borrowed) for the stage's epochs: a fresh optimizer and schedule,
/// a validation pass and a metrics.csv row after every epoch, and checkpoints/last.pt and best.pt
/// (by validation accuracy) when the stage and the request allow, and every run.keep_every-th
/// epoch's weights. Throws Interrupted (run_signals.h) after recording a resume point when a stop
/// signal arrives, and std::runtime_error naming the stage, epoch and step for a NaN or infinite
/// loss or weights (no checkpoint of them is written).
TrainOutcome train_net(RunContext& run, const TrainRequest& request);

}  // namespace gear::host
