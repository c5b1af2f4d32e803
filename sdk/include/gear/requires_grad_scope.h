#pragma once

/// @file
/// Taking a net's parameters out of autograd for one pass and giving each its own flag back: what
/// a scoring pass that needs only the activations' gradients (read at group taps) does, so that
/// autograd computes no weight gradient it would throw away.

#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <utility>
#include <vector>

namespace gear {

/// While it lives, a parameter of the module requires a gradient only where `requires_grad` says
/// so (none given: no parameter does); on destruction, also during stack unwinding, every parameter
/// gets back the requires_grad it had, so a parameter the user froze stays frozen. Group taps start
/// the backward pass where nothing before them needs a gradient (GradientObserver in
/// gear/growable_net.h), so a pass under a scope that freezes everything still reports every
/// observed gradient. Only the flags change: values, `.grad()` and optimiser state are untouched.
/// Parameters added to the module during the scope are not restored. Header-only (no symbol of the
/// SDK library). Since SDK 0.13.1.
class RequiresGradScope {
 public:
  /// Whether a parameter (borrowed for the call) requires a gradient inside the scope, whatever
  /// its flag was before.
  using Predicate = std::function<bool(const torch::Tensor& parameter)>;

  /// Applies the scope to every parameter of `module` (borrowed for the call; the scope keeps
  /// its own handles to the parameters, so it may outlive the module). `requires_grad` is called
  /// once per parameter, here, and not kept.
  explicit RequiresGradScope(torch::nn::Module& module, const Predicate& requires_grad = {}) {
    for (torch::Tensor& p : module.parameters()) {
      saved_.emplace_back(p, p.requires_grad());
      p.requires_grad_(requires_grad ? requires_grad(p) : false);
    }
  }

  ~RequiresGradScope() {
    for (auto& [parameter, flag] : saved_) parameter.requires_grad_(flag);
  }

  RequiresGradScope(const RequiresGradScope&) = delete;
  RequiresGradScope& operator=(const RequiresGradScope&) = delete;

 private:
  std::vector<std::pair<torch::Tensor, bool>> saved_;
};

}  // namespace gear
