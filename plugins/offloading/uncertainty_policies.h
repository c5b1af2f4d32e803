#pragma once

/// @file
/// Policies whose score is one of the features the host computes for every frame: the edge
/// net's uncertainty (confidence, margin, entropy) or how far the scene moved (scene_change).

#include <gear/config.h>

#include "score_policy.h"

namespace gear::plugins::offloading {

/// Offloads the frames the edge net is least sure of: score 1 - max_probability.
class ConfidencePolicy final : public ScorePolicy {
 public:
  /// Reads the threshold options from `options` (borrowed for the call).
  explicit ConfidencePolicy(const Config& options);
  double score(const OffloadFrame& frame) override;
};

/// Offloads the frames whose top two classes are closest: score 1 - margin.
class MarginPolicy final : public ScorePolicy {
 public:
  /// Reads the threshold options from `options` (borrowed for the call).
  explicit MarginPolicy(const Config& options);
  double score(const OffloadFrame& frame) override;
};

/// Offloads the frames with the flattest softmax: score the normalised entropy.
class EntropyPolicy final : public ScorePolicy {
 public:
  /// Reads the threshold options from `options` (borrowed for the call).
  explicit EntropyPolicy(const Config& options);
  double score(const OffloadFrame& frame) override;
};

/// Offloads when the scene has moved furthest from the last frame sent (scene cuts): score
/// change. Needs no output of the edge net at all.
class SceneChangePolicy final : public ScorePolicy {
 public:
  /// Reads the threshold options from `options` (borrowed for the call).
  explicit SceneChangePolicy(const Config& options);
  double score(const OffloadFrame& frame) override;
};

}  // namespace gear::plugins::offloading
