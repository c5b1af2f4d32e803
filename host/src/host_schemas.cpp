#include "gear/host/host_schemas.h"

#include "gear/host/checkpoint_policy.h"

namespace gear::host {

const OptionBinder<RunSettings>& run_binder() {
  static const OptionBinder<RunSettings> binder = [] {
    using R = RunSettings;
    OptionBinder<R> b;
    b.bind("name", &R::name, "run name; default: the pipeline file's stem");
    b.bind("seed", &R::seed, "seed for initialisation, shuffling and augmentation").at_least(0);
    b.bind("device", &R::device, "\"auto\" (CUDA when present), \"cpu\", \"cuda\" or \"cuda:N\"");
    b.bind("threads", &R::threads, "CPU threads for tensor ops; 0 = all cores").at_least(0);
    b.bind("memory_format", &R::memory_format,
           "layout of activations and convolution weights: channels_last (NHWC; refused for "
           "nets with strided 1x1 convolutions on LibTorch 1.x), contiguous (NCHW), or auto "
           "(contiguous: on the CPU, channels-last measured within 10% either way for VGG and "
           "ResNet and slower for MobileNet-V2; not yet measured on CUDA)")
        .one_of({"auto", "channels_last", "contiguous"});
    b.bind("cpu_allocator", &R::cpu_allocator,
           "retain: freed CPU memory stays in the process, so each step reuses mapped pages "
           "instead of faulting in fresh ones (glibc; tensors above 32 MiB otherwise cost "
           "a page fault per 4 KiB every step; the process keeps its peak heap); system: "
           "the C library's settings")
        .one_of({"retain", "system"});
    b.bind("cpu_parallelism", &R::cpu_parallelism,
           "how training uses the CPU threads: batch_split (each batch cut into one share "
           "per thread, trained in parallel with batch statistics combined across shares; "
           "small convolutions scale far better this way), intra_op (one share, each op "
           "spread over the threads), or auto (batch_split where the architecture supports "
           "it and there are 2+ threads on the CPU)")
        .one_of({"auto", "batch_split", "intra_op"});
    b.bind("conv_kernels", &R::conv_kernels,
           "GEAR's own CPU kernel for the 3x3 convolutions of one-channel images (the stems of "
           "greyscale nets; gear/conv.h); false runs LibTorch's convolution there too, for a "
           "comparison. Values agree within float rounding");
    b.bind("out", &R::out, "folder under which run folders are created");
    b.bind("epoch_scale", &R::epoch_scale,
           "multiplies every train stage's epochs (rounded, at least 1) and its schedule's "
           "milestones, step_size and warmup_epochs: a quick version of a long pipeline")
        .at_least(0.0)
        .check([](double scale) {
          return scale > 0.0 ? std::string() : "must be > 0 (1.0 runs the epochs as written)";
        });
    b.bind("seeds", &R::seeds,
           "run the pipeline once per seed into one group folder with the group's mean, "
           "standard deviation, min and max (as gearhost run --seeds N does with 1..N); "
           "empty: one run at `seed`")
        .check([](const std::vector<int64_t>& seeds) {
          for (size_t i = 0; i < seeds.size(); ++i) {
            if (seeds[i] < 0) return "seed " + std::to_string(seeds[i]) + " is negative";
            for (size_t j = 0; j < i; ++j)
              if (seeds[j] == seeds[i])
                return "seed " + std::to_string(seeds[i]) + " is listed twice";
          }
          return std::string();
        });
    b.bind("checkpoint_every", &R::checkpoint_every,
           "how often a train stage records a resume point (and last.pt): \"N epochs\", or "
           "\"N min\" (also inside an epoch, after the step that passes N minutes), or \"off\"; "
           "every stage's end is one too, and SIGINT / SIGTERM write one after the current step")
        .check([](const std::string& text) { return checkpoint_policy_error(text); });
    b.bind("keep_every", &R::keep_every,
           "also keep checkpoints/stage<i>-epoch<e>.pt every N epochs of a train stage (last.pt "
           "and best.pt are kept anyway); 0: none")
        .at_least(0);
    b.bind("precision", &R::precision,
           "training steps' precision: fp32, or mixed precision: bf16 (forward under bfloat16 "
           "autocast; CUDA, or a CPU with bf16 support) or fp16 (float16 autocast with loss "
           "scaling: a step whose gradients overflow is skipped and the scale halved; CUDA "
           "only). Weights, optimizer state and checkpoints stay float32")
        .one_of({"fp32", "bf16", "fp16"});
    return b;
  }();
  return binder;
}

const OptionBinder<DataSettings>& data_binder() {
  static const OptionBinder<DataSettings> binder = [] {
    using D = DataSettings;
    OptionBinder<D> b;
    b.bind("plugin", &D::plugin, "dataset plugin");
    b.bind("batch_size", &D::batch_size, "training batch size").at_least(1);
    b.bind("eval_batch_size", &D::eval_batch_size, "batch size for evaluation").at_least(1);
    b.bind("val_split", &D::val_split,
           "fraction of each class's training images held out for validation (seeded)")
        .range(0.0, 0.9);
    b.bind("classes", &D::classes,
           "train and test on these classes only: class names, or class groups such as "
           "CIFAR-100's superclasses (empty = all classes)");
    b.bind("relabel", &D::relabel,
           "with classes: relabel the kept classes 0..k-1 in the order given (a k-way head); "
           "false keeps the dataset's labels and its N-way head, as a net trained on all "
           "classes has");
    b.bind("limit_train", &D::limit_train,
           "use only the first N training images (0 = all), before data.classes picks from them")
        .at_least(0);
    b.bind("limit_test", &D::limit_test,
           "use only the first N test images (0 = all), before data.classes picks from them")
        .at_least(0);
    b.bind("prefetch", &D::prefetch,
           "prepare the next batch on a background thread: on, off, or auto (on for CUDA "
           "or when the run leaves CPU cores free; off when the training threads use "
           "every core, where the extra thread slows training)")
        .one_of({"auto", "on", "off"});
    return b;
  }();
  return binder;
}

const OptionBinder<ModelSettings>& model_binder() {
  static const OptionBinder<ModelSettings> binder = [] {
    using M = ModelSettings;
    OptionBinder<M> b;
    b.bind("architecture", &M::architecture, "architecture plugin");
    b.bind("width", &M::width, "multiplier of the architecture's standard widths")
        .range(1e-3, 16.0);
    b.bind("widths", &M::widths, "explicit width per channel group (overrides width)");
    b.bind("widths_from", &M::widths_from,
           "take the widths from an earlier run's summary.json (final.widths)");
    b.bind("checkpoint", &M::checkpoint,
           "start from the weights of a checkpoint (runs/<run>/checkpoints/best.pt), at the "
           "widths it records; the architecture must match");
    return b;
  }();
  return binder;
}

const OptionBinder<MeterSettings>& meter_binder() {
  static const OptionBinder<MeterSettings> binder = [] {
    using M = MeterSettings;
    OptionBinder<M> b;
    b.bind("plugin", &M::plugin,
           "power meter: auto (the best sensor found: jetson, nvml, rapl, else an estimate "
           "from CPU utilisation), rapl, nvml, jetson, estimate, or none");
    b.bind("period_ms", &M::period_ms,
           "how often a background thread samples the meter, in milliseconds")
        .range(1.0, 60000.0);
    return b;
  }();
  return binder;
}

OptionSchema run_schema() { return run_binder().schema(); }
OptionSchema data_schema() { return data_binder().schema(); }
OptionSchema model_schema() { return model_binder().schema(); }
OptionSchema meter_schema() { return meter_binder().schema(); }

}  // namespace gear::host
