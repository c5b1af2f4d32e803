#pragma once

/// @file
/// A train stage's own options, declared once: the binder gives the stage's schema and reads
/// the validated stage into the struct the optimizer and the schedule take.

#include <cstdint>
#include <string>
#include <vector>

#include "gear/config.h"
#include "gear/options.h"

namespace gear::host {

/// The host keys of a train stage besides kind, name, augmentation and objective.
struct TrainOptions {
  int64_t epochs = 1;
  std::string optimizer = "sgd";
  double lr = 0.05;
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 5e-4;
  double alpha = 0.99;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  std::string schedule = "cosine";
  double warmup_epochs = 0.0;
  std::vector<int64_t> milestones;
  int64_t step_size = 30;
  double lr_decay = 0.1;
  double min_lr = 0.0;
  bool checkpoint = true;
  std::vector<std::string> devices;
};

/// The one declaration of TrainOptions' names, docs, defaults and ranges.
const OptionBinder<TrainOptions>& train_options_binder();

}  // namespace gear::host
