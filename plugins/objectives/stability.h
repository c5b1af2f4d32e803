#pragma once

#include <gear/config.h>
#include <gear/objective.h>
#include <gear/options.h>
#include <torch/types.h>

#include <string>

namespace gear::plugins::objectives {

/// KL(P || Q) between the softmax distributions of `p_logits` and `q_logits` ([N, classes],
/// borrowed): the mean over the batch of sum_k P_k (log P_k - log Q_k), from log-softmaxes so
/// that a near-zero probability does not overflow.
torch::Tensor kl_divergence(const torch::Tensor& p_logits, const torch::Tensor& q_logits);

/// The options of the stability objective, declared once.
struct StabilityOptions {
  double alpha = 1.0;
  std::string divergence = "kl";
  std::string pairs = "clean";
  double label_smoothing = 0.0;
};

/// Stability training (Zheng et al. 2016) against device variation: cross-entropy on the clean
/// view only, plus alpha times a divergence between the net's outputs on two views of each
/// image: the clean one and a device view (`pairs = "clean"`, KL(clean || device) or their
/// Jensen-Shannon divergence), or two device views, as two different phones would give
/// (`pairs = "pairwise"`). The device views come from the pipeline's device bank, drawn per image.
class StabilityObjective final : public Objective {
 public:
  /// Reads the options from `options` (borrowed for the call).
  explicit StabilityObjective(const Config& options);
  static OptionSchema schema();
  static const OptionBinder<StabilityOptions>& binder();
  /// Throws std::invalid_argument for a batch without the device views it asked for.
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override;
  int64_t device_views() const override { return options_.pairs == "pairwise" ? 2 : 1; }

 private:
  StabilityOptions options_;
};

/// Plain augmentation with the device bank, the baseline stability training is compared with:
/// cross-entropy on a device view of each image (the clean view is not run). Training accuracy
/// is therefore that of the device view.
class DeviceAugmentObjective final : public Objective {
 public:
  /// Reads `label_smoothing` from `options` (borrowed for the call).
  explicit DeviceAugmentObjective(const Config& options);
  static OptionSchema schema();
  /// Throws std::invalid_argument for a batch without a device view.
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override;
  int64_t device_views() const override { return 1; }

 private:
  double label_smoothing_;
};

}  // namespace gear::plugins::objectives
