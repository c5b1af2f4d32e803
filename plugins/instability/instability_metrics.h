#pragma once

/// @file
/// The instability metrics on a table of predictions, as pure functions of it: what the
/// instability evaluator reports and the tests check against hand-made tables.

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gear::plugins::instability {

/// What each of K profiles (devices, or model variants) output for the same N images.
struct PredictionTable {
  std::vector<std::string> names;  ///< K profile names
  torch::Tensor logits;            ///< float [K, N, classes] (CPU)
  torch::Tensor valid;             ///< bool [K, N]: false where a profile gave no output
  torch::Tensor labels;            ///< int64 [N]
};

/// How an image that some profile gave no output for counts.
enum class Missing {
  kExclude,   ///< left out of every figure that needs that profile
  kUnstable,  ///< counted as unstable (and as a disagreement in every pair with that profile)
};

/// The top-1 class of each row of `logits` [..., classes], ties broken toward the lowest class
/// index so that the same logits always give the same label on every machine.
torch::Tensor top1(const torch::Tensor& logits);

/// Every figure of one table.
struct InstabilityFigures {
  int64_t images = 0;        ///< images that the set figures count (all, or those valid on all)
  double set = 0.0;          ///< fraction whose top-1 label is not the same on all profiles
  double correctness = 0.0;  ///< fraction right on at least one profile and wrong on another
  double pairwise_mean = 0.0, pairwise_max = 0.0;    ///< over the K(K-1)/2 pairs
  double reference_mean = 0.0, reference_max = 0.0;  ///< I(k, reference) over k != reference
  double mean_kl = 0.0;  ///< KL(p_k || p_l) averaged over images and ordered pairs k != l
  /// Share of the pairwise flips whose new label is in the other profile's top 5.
  double flips_in_top5 = 0.0;
  std::vector<std::vector<double>> pairwise;  ///< [K][K]: I(k, l), 0 on the diagonal
  std::vector<double> accuracy;               ///< [K] over each profile's valid images
  std::vector<double> against_reference;      ///< [K]: I(k, reference)
  /// Per class (by label): {"images", "set", "correctness", "accuracy"} over its images.
  std::vector<std::map<std::string, double>> per_class;
  /// [N]: whether each image is stable (1), unstable (0), or left out (-1).
  std::vector<int> stable;
};

/// Measures `table` (borrowed) with `reference` as the reference profile's index (-1: none,
/// the reference figures stay 0) over `classes` classes. Throws std::invalid_argument for a
/// table of fewer than two profiles or inconsistent shapes.
InstabilityFigures measure_instability(const PredictionTable& table, int64_t reference,
                                       Missing missing, int64_t classes);

}  // namespace gear::plugins::instability
