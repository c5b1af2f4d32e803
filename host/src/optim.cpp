#include "gear/host/optim.h"

#include <torch/optim/adam.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <cmath>

#include "gear/host/train_options.h"

namespace gear::host {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Config& stage,
                                                        std::vector<torch::Tensor> params) {
  const TrainOptions o = train_options_binder().read(stage);
  if (o.optimizer == "sgd") {
    if (o.nesterov && o.momentum <= 0.0)
      stage.fail("nesterov", "Nesterov momentum needs momentum > 0 (set nesterov = false)");
    return std::make_unique<torch::optim::SGD>(std::move(params),
                                               torch::optim::SGDOptions(o.lr)
                                                   .momentum(o.momentum)
                                                   .nesterov(o.nesterov)
                                                   .weight_decay(o.weight_decay));
  }
  if (o.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(std::move(params),
                                                torch::optim::AdamOptions(o.lr)
                                                    .betas({o.beta1, o.beta2})
                                                    .eps(o.eps)
                                                    .weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::RMSprop>(std::move(params),
                                                 torch::optim::RMSpropOptions(o.lr)
                                                     .alpha(o.alpha)
                                                     .eps(o.eps)
                                                     .momentum(o.momentum)
                                                     .weight_decay(o.weight_decay));
}

LrSchedule::LrSchedule(const Config& stage, int64_t epochs) : epochs_(epochs) {
  const TrainOptions o = train_options_binder().read(stage);
  kind_ = o.schedule;
  base_ = o.lr;
  min_lr_ = o.min_lr;
  warmup_ = o.warmup_epochs;
  decay_ = o.lr_decay;
  step_size_ = o.step_size;
  milestones_ = o.milestones;
  if (warmup_ > static_cast<double>(epochs) && epochs > 0)
    stage.fail("warmup_epochs", "warm-up is longer than the stage's " + std::to_string(epochs) +
                                    " epochs");
}

double LrSchedule::at(double epoch) const {
  if (warmup_ > 0.0 && epoch < warmup_) return base_ * epoch / warmup_;
  if (kind_ == "constant") return base_;
  if (kind_ == "step") {
    auto whole = static_cast<int64_t>(std::floor(epoch));
    int64_t decays = 0;
    if (milestones_.empty()) {
      decays = whole / step_size_;
    } else {
      for (int64_t m : milestones_) decays += whole >= m ? 1 : 0;
    }
    return base_ * std::pow(decay_, static_cast<double>(decays));
  }
  const double span = static_cast<double>(epochs_) - warmup_;
  if (span <= 0.0) return base_;
  const double progress = std::clamp((epoch - warmup_) / span, 0.0, 1.0);
  return min_lr_ + 0.5 * (base_ - min_lr_) * (1.0 + std::cos(M_PI * progress));
}

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace gear::host
