#pragma once

// Firefly's gate gradients read at the group taps, for the groups where that is exact, so the
// scoring pass computes no weight gradient for them.
//
// A gate y scales its candidate's perturbation in the rows of its group's producer only. When a
// group's channels come from one producer, through at most one norm (affine in eval mode, the
// same for both children of a split) and nothing else before its tap, the tap sees the children
// a± = f(θx ± (1 + y) vx) of every split channel, so ∂a±/∂y = ±(a+ − a−)/2; a fresh channel
// (zero bias, identity norm, its whole row scaled by 1 + y) has ∂a/∂y = a. With g = ∂L/∂a from
// the backward pass, ∂L/∂y_split = Σ (g+ − g−)(a+ − a−)/2 and ∂L/∂y_fresh = Σ g a, summed over
// the batch and positions: the same numbers CandidateNet::pull_gradients() gets from the weight
// gradients, for the price of the activation gradients alone. Groups that do not qualify (a
// residual stream with several producers, a depthwise pass-through) keep the weight path.

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "candidate_net.h"
#include "gear/growable_net.h"
#include "gear/requires_grad_scope.h"

namespace gear::plugins::growth {

class TapScores {
 public:
  /// Chooses the groups of `candidates` (rendered in `net`, which is in eval mode) whose gates
  /// can be read at their taps: the structure above, and a tap that fires once per forward pass
  /// (counted on one probe sample of shape `sample_shape`, [C, H, W]). Both arguments must
  /// outlive this object.
  TapScores(GrowableNet& net, CandidateNet& candidates, const std::vector<int64_t>& sample_shape);
  ~TapScores();
  TapScores(const TapScores&) = delete;
  TapScores& operator=(const TapScores&) = delete;

  /// Whether the i-th candidate group is scored at its tap.
  bool at_tap(size_t group) const { return at_tap_[group]; }
  /// Number of groups scored at their taps.
  int64_t count() const;

  /// Until end(): every backward pass through the net adds the tap groups' ∂L/∂y to their gates'
  /// grad, and only the producer weights of the other groups require a gradient, so autograd
  /// computes no other weight gradient (and, where every group is scored at its tap, no gradient
  /// before the first tap: the taps start the backward pass).
  void begin();
  /// Stops observing and gives every parameter back the requires_grad it had. Also on
  /// destruction.
  void end();

 private:
  void add_scores(size_t group, const torch::Tensor& activation, const torch::Tensor& gradient);

  GrowableNet& net_;
  CandidateNet& candidates_;
  std::vector<bool> at_tap_;
  std::vector<GroupObservation> observations_;
  std::optional<RequiresGradScope> weight_path_only_;
};

}  // namespace gear::plugins::growth
