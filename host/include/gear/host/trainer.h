#pragma once

#include <torch/optim/optimizer.h>

#include <functional>

#include "gear/growable_net.h"
#include "gear/host/data_stream.h"
#include "gear/host/optim.h"
#include "gear/host/progress.h"

namespace gear::host {

/// Result of one pass over a split.
struct PassStats {
  double loss = 0.0;
  double accuracy = 0.0;
  int64_t samples = 0;
  double seconds = 0.0;
  double images_per_second() const { return seconds > 0 ? samples / seconds : 0.0; }
};

/// Cross-entropy (with label smoothing) on views[0], plus λ·JSD over all views when the batch
/// asks for it, exactly as AugMix computes it: the views go through one forward pass.
torch::Tensor batch_loss(GrowableNet& net, const Batch& batch, double label_smoothing,
                         torch::Tensor* clean_logits);

/// Number of rows of `logits` [N, classes] whose argmax is the row's label: a 0-d int64 tensor on
/// their device (read it when needed, so a step does not wait for the device).
torch::Tensor correct_count(const torch::Tensor& logits, const torch::Tensor& labels);

/// Jensen-Shannon divergence of the softmax distributions of `logits` (one tensor per view),
/// as in the AugMix reference: mean over views of KL(p_i || M), M clamped to [1e-7, 1].
torch::Tensor jensen_shannon(const std::vector<torch::Tensor>& logits);

/// One training epoch. Sets the learning rate every step from `schedule` at fractional epoch
/// `epoch + step / steps`. `split_workers` > 1 splits each batch across that many worker threads
/// (split_step; the net must be batch_splittable); otherwise each op uses the intra-op threads.
PassStats train_epoch(GrowableNet& net, BatchStream& stream, torch::optim::Optimizer& optimizer,
                      const LrSchedule& schedule, int64_t epoch, double label_smoothing,
                      Progress& progress, int split_workers = 0);

/// Loss and accuracy over a whole split in eval mode, no gradients.
PassStats evaluate(GrowableNet& net, const DeviceData& data, int64_t batch_size,
                   const Normalizer& normalizer);

}  // namespace gear::host
