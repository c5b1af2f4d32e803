#include "gear/host/host_schemas.h"

#include <stdexcept>

namespace gear::host {

OptionSchema run_schema() {
  return OptionSchema()
      .add_string("name", "", "run name; default: the pipeline file's stem")
      .add_int("seed", 0, "seed for initialisation, shuffling and augmentation")
      .at_least(0)
      .add_string("device", "auto", "\"auto\" (CUDA when present), \"cpu\", \"cuda\" or \"cuda:N\"")
      .add_int("threads", 0, "CPU threads for tensor ops; 0 = all cores")
      .at_least(0)
      .add_string("memory_format", "auto",
                  "layout of activations and convolution weights: channels_last (NHWC; oneDNN's "
                  "CPU convolutions run about 12% faster on it; refused for nets with strided 1x1 "
                  "convolutions on LibTorch 1.x), contiguous (NCHW), or auto (contiguous for now)")
      .one_of({"auto", "channels_last", "contiguous"})
      .add_string("cpu_allocator", "retain",
                  "retain: freed CPU memory stays in the process, so each step reuses mapped pages "
                  "instead of faulting in fresh ones (glibc; tensors above 32 MiB otherwise cost "
                  "a page fault per 4 KiB every step; the process keeps its peak heap); system: "
                  "the C library's settings")
      .one_of({"retain", "system"})
      .add_string("cpu_parallelism", "auto",
                  "how training uses the CPU threads: batch_split (each batch cut into one share "
                  "per thread, trained in parallel with batch statistics combined across shares; "
                  "small convolutions scale far better this way), intra_op (one share, each op "
                  "spread over the threads), or auto (batch_split where the architecture supports "
                  "it and there are 2+ threads on the CPU)")
      .one_of({"auto", "batch_split", "intra_op"})
      .add_string("out", "runs", "folder under which run folders are created")
      .add_float("epoch_scale", 1.0,
                 "multiplies every train stage's epochs (rounded, at least 1) and its schedule's "
                 "milestones, step_size and warmup_epochs: a quick version of a long pipeline")
      .at_least(0.0);
}

OptionSchema data_schema() {
  return OptionSchema()
      .add_string("plugin", "fashion-mnist", "dataset plugin")
      .add_int("batch_size", 128, "training batch size")
      .at_least(1)
      .add_int("eval_batch_size", 1000, "batch size for evaluation")
      .at_least(1)
      .add_float("val_split", 0.1, "fraction of the training set held out for validation")
      .range(0.0, 0.9)
      .add_string_list("classes", {},
                       "train and test on these classes only, relabelled 0..k-1 in the order "
                       "given: class names, or class groups such as CIFAR-100's superclasses "
                       "(empty = all classes)")
      .add_int("limit_train", 0, "use only the first N training images (0 = all)")
      .at_least(0)
      .add_int("limit_test", 0, "use only the first N test images (0 = all)")
      .at_least(0)
      .add_string("prefetch", "auto",
                  "prepare the next batch on a background thread: on, off, or auto (on for CUDA "
                  "or when the run leaves CPU cores free; off when the training threads use "
                  "every core, where the extra thread slows training)")
      .one_of({"auto", "on", "off"});
}

OptionSchema model_schema() {
  return OptionSchema()
      .add_string("architecture", "vgg11", "architecture plugin")
      .add_float("width", 1.0, "multiplier of the architecture's standard widths")
      .range(1e-3, 16.0)
      .add_int_list("widths", {}, "explicit width per channel group (overrides width)")
      .add_string("widths_from", "",
                  "take the widths from an earlier run's summary.json (final.widths)");
}

const std::vector<std::string>& stage_kinds() {
  static const std::vector<std::string> kinds = {"train", "grow", "evaluate"};
  return kinds;
}

OptionSchema stage_schema(const std::string& kind) {
  OptionSchema common;
  common.add_required("kind", ValueType::kString, "stage kind")
      .one_of(stage_kinds())
      .add_string("name", "", "label for logs and reports");
  if (kind.empty()) return common;
  if (kind == "train") {
    return common.add_int("epochs", 1, "training epochs")
        .at_least(0)
        .add_string("optimizer", "sgd", "optimizer")
        .one_of({"sgd", "adam", "rmsprop"})
        .add_float("lr", 0.05, "peak learning rate")
        .range(0.0, 10.0)
        .add_float("momentum", 0.9, "momentum (sgd, rmsprop)")
        .range(0.0, 1.0)
        .add_bool("nesterov", true, "Nesterov momentum (sgd)")
        .add_float("weight_decay", 5e-4, "L2 weight decay")
        .range(0.0, 1.0)
        .add_float("alpha", 0.99, "smoothing constant (rmsprop)")
        .range(0.0, 1.0)
        .add_float("beta1", 0.9, "first-moment decay (adam)")
        .range(0.0, 1.0)
        .add_float("beta2", 0.999, "second-moment decay (adam)")
        .range(0.0, 1.0)
        .add_float("eps", 1e-8, "denominator epsilon (adam, rmsprop)")
        .range(0.0, 1.0)
        .add_string("schedule", "cosine", "learning-rate schedule")
        .one_of({"constant", "step", "cosine"})
        .add_float("warmup_epochs", 0.0, "linear warm-up from 0, in epochs (fractions allowed)")
        .at_least(0.0)
        .add_int_list("milestones", {}, "epochs at which the step schedule decays")
        .add_int("step_size", 30, "step schedule: decay every N epochs when no milestones")
        .at_least(1)
        .add_float("lr_decay", 0.1, "step schedule: factor per decay")
        .range(0.0, 1.0)
        .add_float("min_lr", 0.0, "cosine schedule: final learning rate")
        .at_least(0.0)
        .add_float("label_smoothing", 0.0, "label smoothing of the cross-entropy")
        .range(0.0, 1.0)
        .add_string("augmentation", "none", "augmentation plugin, or a table {name = ..., ...}")
        .add_bool("checkpoint", true, "write checkpoints/last.pt and best.pt each epoch");
  }
  if (kind == "grow") {
    return common.add_required("strategy", ValueType::kString, "growth strategy plugin")
        .add_int("steps", 1,
                 "multi-shot growth: grow in this many steps, each with gamma_k = "
                 "(1+gamma)^(1/steps)-1, between equal segments of the next train stage")
        .at_least(1)
        .add_string("augmentation", "none",
                    "augmentation of the batches the strategy trains and scores on (GEARnn-1 grows "
                    "on augmented data), or a table {name = ..., ...}");
  }
  if (kind == "evaluate") {
    return common
        .add_string_list("suites", {"clean"},
                         "evaluation suites: \"clean\" (test accuracy and loss) and evaluator "
                         "plugins (\"corruptions\", ...); options of a suite go in a table named "
                         "after it")
        .add_string("split", "test", "which split to evaluate")
        .one_of({"test", "val"});
  }
  throw std::invalid_argument("no stage kind '" + kind + "'");
}

}  // namespace gear::host
