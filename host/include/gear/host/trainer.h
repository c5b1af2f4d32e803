#pragma once

#include <torch/optim/optimizer.h>

#include <functional>
#include <map>
#include <string>

#include "gear/growable_net.h"
#include "gear/host/data_stream.h"
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

/// One training epoch minimising `objective`. Sets the learning rate every step from `schedule`
/// at fractional epoch `epoch + step / steps`. `split_workers` > 1 splits each batch across that
/// many worker threads (split_step; the net must be batch_splittable and the objective support
/// it); otherwise each op uses the intra-op threads.
PassStats train_epoch(GrowableNet& net, BatchStream& stream, torch::optim::Optimizer& optimizer,
                      const LrSchedule& schedule, int64_t epoch, Objective& objective,
                      Progress& progress, int split_workers = 0);

/// Loss and accuracy over a whole split in eval mode, no gradients.
PassStats evaluate(GrowableNet& net, const DeviceData& data, int64_t batch_size,
                   const Normalizer& normalizer);

}  // namespace gear::host
