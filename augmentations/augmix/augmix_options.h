#pragma once

/// @file
/// The parameters of an AugMix policy.

#include <cstdint>
#include <vector>

namespace gear::plugins::augmentations {

/// AugMix's parameters; the defaults are the reference's (`augmix`), era_options() is ERA.
struct AugMixOptions {
  int64_t width = 3;         ///< chains mixed per view (W)
  int64_t depth = -1;        ///< ops per chain (D); -1: uniform in {1, 2, 3} per chain
  double severity = 3.0;     ///< op levels are drawn from U(0.1, severity)
  double alpha = 1.0;        ///< Dirichlet(alpha) chain weights, Beta(alpha, alpha) skip share
  bool all_ops = false;      ///< add color, contrast, brightness, sharpness
  std::vector<int64_t> ops;  ///< op ids (AugOp); empty: the default 9, or all 13 with all_ops
  bool jsd = true;           ///< clean view plus `views` augmented views and the JSD loss
  double jsd_lambda = 12.0;  ///< weight of the Jensen-Shannon term
  int64_t views = 2;         ///< augmented views per sample when jsd is on
  int64_t padding = -1;      ///< crop padding before mixing; -1 = an eighth of the side
  bool crop = true;          ///< random crop, shared by all views
  bool flip = true;          ///< random horizontal flip, shared by all views
};

/// ERA, GEARnn's (W, D, J) = (1, 3, 4): one chain of exactly 3 ops, J read as the severity, one
/// augmented view trained with plain cross-entropy. Of the readings measured
/// (bench/era_readings.py: J as severity or as JSD views, D fixed or drawn, JSD on or off) this
/// is the one that comes closest to the paper's claim of AugMix's robustness in less time; every
/// JSD reading was 3.6-5.3 pp less robust than AugMix.
inline AugMixOptions era_options() {
  AugMixOptions era;
  era.width = 1;
  era.depth = 3;
  era.severity = 4.0;
  era.jsd = false;
  return era;
}

}  // namespace gear::plugins::augmentations
