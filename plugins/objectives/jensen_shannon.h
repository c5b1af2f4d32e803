#pragma once

#include <gear/config.h>
#include <gear/objective.h>
#include <torch/types.h>

#include <vector>

namespace gear::plugins::objectives {

/// Jensen-Shannon divergence of the softmax distributions of `logits` (one tensor [N, classes]
/// per view, borrowed), as the AugMix reference computes it: the mean over views of
/// KL(p_i || M) with the mixture M clamped to [1e-7, 1], each KL a mean over the batch.
torch::Tensor jensen_shannon(const std::vector<torch::Tensor>& logits);

/// AugMix's loss: cross-entropy on the clean view plus lambda times the Jensen-Shannon
/// consistency over all views, with every view in one forward pass (so batch statistics are
/// those of all views together, as in the reference).
class JensenShannonConsistency final : public Objective {
 public:
  /// Reads `label_smoothing` and `lambda` from `options` (borrowed for the call).
  explicit JensenShannonConsistency(const Config& options);
  static OptionSchema schema();
  /// Throws std::invalid_argument for a batch with a single view.
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override;

 private:
  double label_smoothing_;
  double lambda_;  ///< < 0: the augmentation's consistency weight
};

}  // namespace gear::plugins::objectives
