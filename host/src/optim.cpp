#include "gear/host/optim.h"

#include <torch/optim/adam.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <cmath>

namespace gear::host {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Config& stage,
                                                        std::vector<torch::Tensor> params) {
  const std::string kind = stage.get<std::string>("optimizer");
  const double lr = stage.get<double>("lr");
  const double wd = stage.get<double>("weight_decay");
  if (kind == "sgd") {
    const double momentum = stage.get<double>("momentum");
    const bool nesterov = stage.get<bool>("nesterov");
    if (nesterov && momentum <= 0.0)
      stage.fail("nesterov", "Nesterov momentum needs momentum > 0 (set nesterov = false)");
    return std::make_unique<torch::optim::SGD>(
        std::move(params),
        torch::optim::SGDOptions(lr).momentum(momentum).nesterov(nesterov).weight_decay(wd));
  }
  if (kind == "adam") {
    return std::make_unique<torch::optim::Adam>(
        std::move(params), torch::optim::AdamOptions(lr)
                               .betas({stage.get<double>("beta1"), stage.get<double>("beta2")})
                               .eps(stage.get<double>("eps"))
                               .weight_decay(wd));
  }
  return std::make_unique<torch::optim::RMSprop>(
      std::move(params), torch::optim::RMSpropOptions(lr)
                             .alpha(stage.get<double>("alpha"))
                             .eps(stage.get<double>("eps"))
                             .momentum(stage.get<double>("momentum"))
                             .weight_decay(wd));
}

LrSchedule::LrSchedule(const Config& stage, int64_t epochs)
    : kind_(stage.get<std::string>("schedule")),
      base_(stage.get<double>("lr")),
      min_lr_(stage.get<double>("min_lr")),
      warmup_(stage.get<double>("warmup_epochs")),
      decay_(stage.get<double>("lr_decay")),
      epochs_(epochs),
      step_size_(stage.get<int64_t>("step_size")),
      milestones_(stage.get<std::vector<int64_t>>("milestones")) {
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
