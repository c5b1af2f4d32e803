#pragma once

/// @file
/// AugMix (Hendrycks et al., ICLR 2020) and its cheaper preset ERA (GEARnn), batched.

#include <gear/augmentation.h>
#include <gear/config.h>
#include <gear/options.h>

#include "augmix_options.h"
#include "augmix_sampling.h"

namespace gear::plugins::augmentations {

/// Per batch: a shared random crop and flip, then W chains per augmented view, each applying
/// 1-3 (or D) random ops, mixed as (1 - m) x + m sum_i w_i chain_i(x). All chains of all views
/// run as one stacked batch, so the number of tensor calls does not grow with the batch size.
class AugMixAugmentation : public Augmentation {
 public:
  /// Reads the options declared by schema() (`options` is borrowed for the call).
  explicit AugMixAugmentation(const Config& options);
  explicit AugMixAugmentation(AugMixOptions options);

  /// The option schema with the given defaults (the presets differ only in defaults; `defaults`
  /// is borrowed for the call).
  static OptionSchema schema(const AugMixOptions& defaults);
  static OptionSchema schema() { return schema(AugMixOptions{}); }
  /// The one declaration of the options (names, docs, bounds, the `depth` check; `ops` written
  /// as names, held as AugOp ids). The reference lives as long as the program.
  static const OptionBinder<AugMixOptions>& binder();

  /// views[0] is the cropped and flipped batch (uint8); with JSD, views[1..] are the augmented
  /// mixes (float in [0, 1]) and consistency_weight is jsd_lambda; without, the one view is the
  /// mix.
  AugmentedBatch augment(const torch::Tensor& images, torch::Generator& generator) override;

  /// The options in force (ops filled in).
  const AugMixOptions& options() const { return options_; }

 private:
  AugMixOptions options_;
};

/// Applies the drawn ops to `chains` (uint8 [M, C, H, W], M = draws.depth.size(0)).
torch::Tensor run_chains(torch::Tensor chains, const ChainDraws& draws);
/// The same, one batched tensor call per step for all chains (the path off the CPU; tests
/// check that run_chains agrees with it).
torch::Tensor run_chains_by_step(torch::Tensor chains, const ChainDraws& draws);

/// (1 - skip) clean + skip sum_w weights chains, in [0, 1]: `clean` uint8 [N, C, H, W], `chains`
/// uint8 [V * W * N, C, H, W] (view-major, then chain). Result float32 [V, N, C, H, W].
torch::Tensor mix_chains(const torch::Tensor& clean, const torch::Tensor& chains,
                         const MixDraws& draws);

}  // namespace gear::plugins::augmentations
