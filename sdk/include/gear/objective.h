#pragma once

/// @file
/// Training objectives: the loss a train stage minimises, as a plugin. The host's trainer only
/// runs steps (zero_grad, the objective, backward, the optimizer); what is minimised, over which
/// views of the batch, is the objective's.

#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "gear/component_kind.h"
#include "gear/growable_net.h"

namespace gear {

/// One training batch as an objective sees it. Borrowed for the call to compute(); the tensors
/// live on the training device and must not be kept after it.
struct ObjectiveBatch {
  /// Normalised float views [N, C, H, W], the same N samples in each. views[0] is the clean view
  /// (or the only one); an augmentation that makes several (AugMix with its consistency loss)
  /// puts the clean one first.
  std::vector<torch::Tensor> views;
  /// int64 labels [N].
  torch::Tensor labels;
  /// The consistency weight the stage's augmentation asked for (AugMix's lambda; 0: none).
  double consistency_weight = 0.0;
  /// How many of the views, at the end of `views`, are device views: the clean view's images
  /// each passed through a profile drawn from the pipeline's device bank (what device_views()
  /// asked for). The views before them are the augmentation's. Since SDK 0.8.
  int64_t device_views = 0;
};

/// What an objective computed for one batch.
struct ObjectiveValue {
  /// The loss to minimise: a 0-d tensor with its graph, the mean over the batch's samples.
  torch::Tensor loss;
  /// Logits [N, classes] of views[0], from which the host counts training accuracy.
  torch::Tensor logits;
  /// Extra figures to log (the loss's terms, say): detached 0-d tensors, each a mean over the
  /// batch. The host averages them over the epoch and writes them to metrics.csv and the log as
  /// `<objective>.<name>`. Leave empty for none.
  std::map<std::string, torch::Tensor> figures;
};

/// A training objective. Created once per train stage from its options, and called from the
/// training thread (or, when the batch is split across CPU workers, from each worker at once).
class Objective {
 public:
  virtual ~Objective() = default;
  /// Runs `net` (borrowed, in training mode) on the views it needs and returns the loss.
  /// `batch` is borrowed for the call.
  virtual ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) = 0;
  /// Whether the host may cut a batch into shares trained in parallel on CPU threads and sum
  /// each share's loss weighted by its share of the samples: true (the default) when the loss
  /// is a mean of per-sample terms (batch statistics are combined across shares by
  /// gear::batch_norm), and compute() is safe to call from several threads at once. An
  /// objective that couples samples otherwise (a contrastive loss over the batch) returns false,
  /// and its stages train whole batches on one thread.
  virtual bool supports_batch_split() const { return true; }
  /// How many device views the objective needs in each batch: the host appends that many views
  /// to ObjectiveBatch::views, each the clean view with every image passed through a profile
  /// drawn (seeded, per image) from the stage's device profiles. Default 0: none. Since SDK 0.8.
  virtual int64_t device_views() const { return 0; }
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::Objective, "objective",
                    "the loss a train stage minimises: objective = \"name\" or {name = ..., ...}");
