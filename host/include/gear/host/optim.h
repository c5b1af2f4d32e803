#pragma once

#include <torch/optim/optimizer.h>

#include <memory>
#include <vector>

#include "gear/config.h"

namespace gear::host {

/// Builds the optimizer a train stage names (sgd, adam, rmsprop) over `params`. Throws
/// ConfigError for combinations the optimizer rejects (Nesterov without momentum).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Config& stage,
                                                        std::vector<torch::Tensor> params);

/// The learning rate of a train stage as a function of (fractional) epoch: linear warm-up, then
/// constant, step or cosine.
class LrSchedule {
 public:
  LrSchedule(const Config& stage, int64_t epochs);
  /// Learning rate at `epoch` (0-based, fractional within an epoch).
  double at(double epoch) const;

 private:
  std::string kind_;
  double base_, min_lr_, warmup_, decay_;
  int64_t epochs_, step_size_;
  std::vector<int64_t> milestones_;
};

/// Sets the learning rate of every parameter group.
void set_lr(torch::optim::Optimizer& optimizer, double lr);

}  // namespace gear::host
