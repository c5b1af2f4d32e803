#include "gear/host/train_options.h"

namespace gear::host {

const OptionBinder<TrainOptions>& train_options_binder() {
  static const OptionBinder<TrainOptions> binder = [] {
    using O = TrainOptions;
    OptionBinder<O> b;
    b.bind("epochs", &O::epochs, "training epochs").at_least(0);
    b.bind("optimizer", &O::optimizer, "optimizer").one_of({"sgd", "adam", "rmsprop"});
    b.bind("lr", &O::lr, "peak learning rate").range(0.0, 10.0);
    b.bind("momentum", &O::momentum, "momentum (sgd, rmsprop)").range(0.0, 1.0);
    b.bind("nesterov", &O::nesterov, "Nesterov momentum (sgd)");
    b.bind("weight_decay", &O::weight_decay, "L2 weight decay").range(0.0, 1.0);
    b.bind("alpha", &O::alpha, "smoothing constant (rmsprop)").range(0.0, 1.0);
    b.bind("beta1", &O::beta1, "first-moment decay (adam)").range(0.0, 1.0);
    b.bind("beta2", &O::beta2, "second-moment decay (adam)").range(0.0, 1.0);
    b.bind("eps", &O::eps, "denominator epsilon (adam, rmsprop)").range(0.0, 1.0);
    b.bind("schedule", &O::schedule, "learning-rate schedule")
        .one_of({"constant", "step", "cosine"});
    b.bind("warmup_epochs", &O::warmup_epochs,
           "linear warm-up from 0, in epochs (fractions allowed)")
        .at_least(0.0);
    b.bind("milestones", &O::milestones, "epochs at which the step schedule decays");
    b.bind("step_size", &O::step_size, "step schedule: decay every N epochs when no milestones")
        .at_least(1);
    b.bind("lr_decay", &O::lr_decay, "step schedule: factor per decay").range(0.0, 1.0);
    b.bind("min_lr", &O::min_lr, "cosine schedule: final learning rate").at_least(0.0);
    b.bind("checkpoint", &O::checkpoint, "write checkpoints/last.pt and best.pt each epoch");
    b.bind("devices", &O::devices,
           "the device profiles an objective's device views are drawn from (objective "
           "stability, device_augment); empty: all of the pipeline's");
    return b;
  }();
  return binder;
}

}  // namespace gear::host
