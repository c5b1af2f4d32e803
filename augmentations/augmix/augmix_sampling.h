#pragma once

/// @file
/// AugMix's random choices for a whole batch, drawn up front as tensors: which ops each chain
/// applies, at which levels, and how the chains and the clean image are mixed.

#include <torch/types.h>

#include <cstdint>

#include "augmix_options.h"

namespace gear::plugins::augmentations {

/// The op draws of `chains` chains.
struct ChainDraws {
  torch::Tensor depth;   ///< int64 [M]: how many ops chain m applies
  torch::Tensor ops;     ///< int64 [S, M]: AugOp id at step s (drawn for every chain)
  torch::Tensor levels;  ///< float64 [S, M]: U(0.1, severity)
  torch::Tensor negate;  ///< bool [S, M]: sign flip, probability 1/2
};

/// Draws the chains' ops: depth fixed or uniform in {1, 2, 3}, ops uniform over the op set.
ChainDraws draw_chains(const AugMixOptions& options, int64_t chains, torch::Device device,
                       torch::Generator& generator);

/// The mixing draws of `views` augmented views of `n` images.
struct MixDraws {
  torch::Tensor weights;  ///< float32 [V, W, N]: Dirichlet(alpha) chain weights per image
  torch::Tensor skip;     ///< float32 [V, N]: Beta(alpha, alpha) share of the chain mix
};

/// Draws chain weights and skip shares.
MixDraws draw_mixing(const AugMixOptions& options, int64_t views, int64_t n, torch::Device device,
                     torch::Generator& generator);

}  // namespace gear::plugins::augmentations
