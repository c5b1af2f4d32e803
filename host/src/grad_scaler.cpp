#include "gear/host/grad_scaler.h"

#include <stdexcept>

#include "gear/host/distributed/world.h"

namespace gear::host {

GradScaler::GradScaler(double initial_scale, double growth, double backoff, int64_t growth_interval)
    : scale_(initial_scale), growth_(growth), backoff_(backoff), growth_interval_(growth_interval) {
  if (!(initial_scale > 0.0) || !(growth > 1.0) || !(backoff > 0.0 && backoff < 1.0) ||
      growth_interval < 1)
    throw std::invalid_argument(
        "GradScaler: needs scale > 0, growth > 1, 0 < backoff < 1 and "
        "growth_interval >= 1");
}

torch::Tensor GradScaler::scale_loss(const torch::Tensor& loss) const { return loss * scale_; }

bool GradScaler::unscale_and_check(const std::vector<torch::Tensor>& params, World* world) const {
  torch::NoGradGuard no_grad;
  // One flag on the gradients' device, read once: no host sync per parameter.
  torch::Tensor bad;
  for (const auto& p : params) {
    const torch::Tensor& grad = p.grad();
    if (!grad.defined()) continue;
    grad.mul_(1.0 / scale_);
    torch::Tensor here = grad.isfinite().logical_not().any();
    bad = bad.defined() ? bad.logical_or(here) : here;
  }
  const bool local = bad.defined() && bad.item<bool>();
  return world ? world->any(local, "agreeing on a gradient overflow") : local;
}

bool GradScaler::update(bool overflowed) {
  if (overflowed) {
    scale_ *= backoff_;
    good_steps_ = 0;
    return false;
  }
  if (++good_steps_ == growth_interval_) {
    scale_ *= growth_;
    good_steps_ = 0;
  }
  return true;
}

torch::Tensor GradScaler::state() const {
  return torch::tensor({scale_, static_cast<double>(good_steps_)}, torch::kDouble);
}

void GradScaler::load_state(const torch::Tensor& state) {
  if (state.numel() != 2) throw std::invalid_argument("GradScaler: a state has 2 values");
  const torch::Tensor s = state.to(torch::kCPU, torch::kDouble);
  scale_ = s[0].item<double>();
  good_steps_ = static_cast<int64_t>(s[1].item<double>());
}

}  // namespace gear::host
