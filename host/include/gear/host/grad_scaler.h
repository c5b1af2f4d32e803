#pragma once

/// @file
/// Loss scaling for fp16 training: torch.cuda.amp.GradScaler's rules, on any device. LibTorch's
/// C++ API has no grad scaler.

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace gear::host {

class World;

/// The scale a step's loss is multiplied by before backward, so small fp16 gradients do not
/// flush to zero, and how it adapts: a step whose gradients hold an infinity or a NaN (the scale
/// overflowed them) is skipped and the scale multiplied by `backoff`; after `growth_interval`
/// steps in a row without one it is multiplied by `growth`.
class GradScaler {
 public:
  /// torch's defaults: 2^16, x2 every 2000 good steps, x0.5 on overflow.
  explicit GradScaler(double initial_scale = 65536.0, double growth = 2.0, double backoff = 0.5,
                      int64_t growth_interval = 2000);

  double scale() const { return scale_; }
  int64_t good_steps() const { return good_steps_; }
  /// `loss` times the scale (a new tensor; backward it instead of the loss).
  torch::Tensor scale_loss(const torch::Tensor& loss) const;
  /// Divides every defined grad of `params` (borrowed) by the scale, in place, and returns
  /// whether any of them holds a non-finite value, on this rank or (with `world`, borrowed and
  /// a collective then) on any rank: every rank takes the same decision.
  bool unscale_and_check(const std::vector<torch::Tensor>& params, World* world) const;
  /// After a step: backs off (and restarts the count) when `overflowed`, else counts the step
  /// and grows the scale at every growth_interval-th. Returns whether the optimizer step should
  /// be taken (not after an overflow).
  bool update(bool overflowed);
  /// The state a resume point keeps: [scale, good steps], and back.
  torch::Tensor state() const;
  void load_state(const torch::Tensor& state);

 private:
  double scale_, growth_, backoff_;
  int64_t growth_interval_, good_steps_ = 0;
};

}  // namespace gear::host
