#pragma once

#include <cstdint>
#include <vector>

#include "gear/host/pipeline.h"

namespace gear::host {

/// One unit the runner executes: a pipeline stage as written, or one shot of a multi-shot grow
/// stage, or one segment of the train stage that follows it.
struct PlannedStage {
  /// A copy of the pipeline stage, adjusted: a train stage's epochs (and schedule keys) are
  /// scaled by run.epoch_scale and, for a segment, cut to the segment; a multi-shot grow
  /// stage's strategy option "gamma" is the per-step gamma.
  StageSpec stage;
  /// Shot j (1-based) of k, for the grow steps and train segments of a multi-shot growth;
  /// 0 and 0 otherwise.
  int64_t step = 0, steps = 0;
  /// Train: epochs of this pipeline stage already run by earlier segments (for shuffling seeds
  /// and the epoch column of metrics.csv).
  int64_t first_epoch = 0;
};

/// Epochs after run.epoch_scale: rounded to nearest, at least 1 when `epochs` > 0.
int64_t scaled_epochs(int64_t epochs, double scale);

/// Splits `epochs` into `parts` near-equal segments (the first ones one longer) summing to
/// `epochs`. Requires parts >= 1.
std::vector<int64_t> split_epochs(int64_t epochs, int64_t parts);

/// The per-step ratio of a k-step growth whose total ratio is 1 + gamma: (1+gamma)^(1/k) - 1.
double step_gamma(double gamma, int64_t steps);

/// Sets option `name` of `config` to `value`, keeping where the old value came from and whether
/// the user wrote it, so errors about the planned value still point at the user's text.
void set_keeping_position(Config& config, const std::string& name, Value value);

/// A train stage with run.epoch_scale = `scale` applied to its epochs and to the schedule keys
/// counted in epochs (milestones, step_size, warmup_epochs), so a scaled-down run keeps the
/// shape of the written schedule. Positions stay those of the user's text.
StageSpec scale_train(const StageSpec& stage, double scale);

/// Expands the pipeline's stages into what runs, each stage kind planning its own
/// (StageKind::plan): epoch_scale applied to every train stage, and a grow stage with
/// steps = k > 1 turned into grow 1, train segment 1, ..., grow k, train segment k (the
/// following train stage split k ways). Throws ConfigError at stage.N.steps when the strategy
/// has no float option "gamma", or the next stage is missing, not a train stage, or has fewer
/// (scaled) epochs than k.
std::vector<PlannedStage> plan_stages(const Pipeline& pipeline);

}  // namespace gear::host
