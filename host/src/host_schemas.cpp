#include "gear/host/host_schemas.h"

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

}  // namespace gear::host
