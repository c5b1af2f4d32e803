#pragma once

#include <torch/optim/optimizer.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "gear/device_profile.h"
#include "gear/growable_net.h"
#include "gear/host/data_stream.h"
#include "gear/host/grad_scaler.h"
#include "gear/host/optim.h"
#include "gear/host/progress.h"
#include "gear/objective.h"

namespace gear::host {

/// Result of one pass over a split.
struct PassStats {
  double loss = 0.0;
  double accuracy = 0.0;
  int64_t samples = 0;
  double seconds = 0.0;
  /// Training passes: the objective's figures (ObjectiveValue::figures), as means per sample.
  std::map<std::string, double> figures;
  double images_per_second() const { return seconds > 0 ? samples / seconds : 0.0; }
};

/// `stats` as JSON (loss, accuracy, samples, seconds, figures), and back: what a resume point
/// keeps of a pass. pass_stats_from_json throws nlohmann::json::exception on a malformed value.
nlohmann::json to_json(const PassStats& stats);
PassStats pass_stats_from_json(const nlohmann::json& value);

/// What one training step computed: detached tensors on the batch's device, read when needed so
/// a step does not wait for the device.
struct StepResult {
  torch::Tensor loss;     ///< the batch's mean loss
  torch::Tensor correct;  ///< number of samples whose first view's argmax is the label
  std::map<std::string, torch::Tensor> figures;  ///< the objective's figures, batch means
};

/// The objective's view of a host batch (the tensors are shared, not copied).
ObjectiveBatch objective_batch(const Batch& batch);

/// Throws std::runtime_error naming what is wrong when `value` is not what an objective must
/// return for `batch`: a 0-d loss and logits with a row per sample. Both are borrowed.
void check_objective_value(const ObjectiveValue& value, const ObjectiveBatch& batch);

/// Runs `objective` on `batch` and checks what it returned (a 0-d loss, logits with a row per
/// sample). Throws std::runtime_error naming what is wrong. All arguments are borrowed.
ObjectiveValue compute_objective(Objective& objective, GrowableNet& net, const Batch& batch);

/// Number of rows of `logits` [N, classes] whose argmax is the row's label: a 0-d int64 tensor on
/// their device (read it when needed, so a step does not wait for the device).
torch::Tensor correct_count(const torch::Tensor& logits, const torch::Tensor& labels);

/// Where a training epoch stands: steps done and the running sums (on the batches' device).
/// train_epoch continues from it and keeps it current, so an epoch paused after any step (a
/// checkpoint, a stop signal) and continued, in this process or a resumed one, sums the same
/// values in the same order as one never paused.
struct EpochCursor {
  int64_t step = 0;      ///< steps done
  int64_t samples = 0;   ///< samples trained on
  double seconds = 0.0;  ///< training time of the steps done
  torch::Tensor loss_sum, correct_sum;
  std::map<std::string, torch::Tensor> figure_sums;
  /// The stream's generator state after the last step's batch (Batch::generator_state).
  torch::Tensor generator_state;
  /// Set by train_epoch when `pause` stopped it before the epoch's end.
  bool paused = false;
};

/// Asked after every step with the steps done; true pauses the epoch there.
using PauseCheck = std::function<bool(int64_t step)>;

/// A training step's precision: the forward pass under autocast for bf16 and fp16 (weights,
/// gradients and optimizer state stay float32), and fp16's loss scaler.
struct StepPrecision {
  Precision precision = Precision::kFp32;
  /// Loss scaling: required for kFp16 (the host gives it no other precision); borrowed, kept
  /// across a stage's epochs.
  GradScaler* scaler = nullptr;
};

/// The loss of a training step was NaN or infinite: the weights after it are not trained.
class NonFiniteLoss : public std::runtime_error {
 public:
  NonFiniteLoss(int64_t step, const std::string& what) : std::runtime_error(what), step_(step) {}
  int64_t step() const { return step_; }  ///< 1-based step of the epoch that produced it

 private:
  int64_t step_;
};

/// One training epoch minimising `objective`, continuing from `cursor` (the stream must be at
/// cursor.step: start_epoch for 0, else resume_epoch with cursor.generator_state). Sets the
/// learning rate every step from `schedule` at fractional epoch `epoch + step / steps`.
/// `split_workers` > 1 splits each batch across that many worker threads (split_step; the net
/// must be batch_splittable and the objective support it); otherwise each op uses the intra-op
/// threads. Returns the stats of the steps done so far; with cursor.paused set when `pause`
/// returned true before the last step. Throws NonFiniteLoss for a NaN or infinite loss (read
/// every step on the CPU; on a GPU, where a read waits for the device, every 20 steps). With
/// fp16, a step whose unscaled gradients are not finite (on any rank) is skipped, not applied.
PassStats train_epoch(GrowableNet& net, BatchStream& stream, torch::optim::Optimizer& optimizer,
                      const LrSchedule& schedule, int64_t epoch, Objective& objective,
                      Progress& progress, int split_workers, EpochCursor& cursor,
                      const PauseCheck& pause = {}, const StepPrecision& precision = {});

/// The stats of the steps `cursor` has summed (one read of its sums).
PassStats cursor_stats(const EpochCursor& cursor);

/// Loss and accuracy over a whole split in eval mode, no gradients.
PassStats evaluate(GrowableNet& net, const DeviceData& data, int64_t batch_size,
                   const Normalizer& normalizer);

}  // namespace gear::host
