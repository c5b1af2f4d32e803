#pragma once

/// @file
/// The host's own tables, declared once each: [run], the host keys of [data] and of [model]. A
/// binder gives the table's schema (the plugin's options join it) and reads the validated table
/// into its struct, which the pipeline keeps (Pipeline::run_settings, ...).

#include <cstdint>
#include <string>
#include <vector>

#include "gear/config.h"
#include "gear/options.h"

namespace gear::host {

/// [run].
struct RunSettings {
  std::string name;  ///< "": the pipeline file's stem
  int64_t seed = 0;
  std::string device = "auto";
  int64_t threads = 0;  ///< 0: all cores
  std::string memory_format = "auto";
  std::string cpu_allocator = "retain";
  std::string cpu_parallelism = "auto";
  bool conv_kernels = true;  ///< gear::conv2d's own kernel (gear/conv.h); false: LibTorch's
  std::string out = "runs";
  double epoch_scale = 1.0;
  std::vector<int64_t> seeds;  ///< empty: one run at `seed`; else a seed group (seed_group.h)
  /// How often a train stage writes its resume point and last.pt: "N epochs" or "N min"
  /// (checkpoint_policy.h reads it).
  std::string checkpoint_every = "1 epoch";
  int64_t keep_every = 0;  ///< > 0: also keep the weights of every N-th epoch of a train stage
  /// Training steps' precision: "fp32", or "bf16" / "fp16" mixed precision (autocast; fp16 with
  /// loss scaling, CUDA only).
  std::string precision = "fp32";
};

/// The host keys of [meter] (the power meter plugin adds its own).
struct MeterSettings {
  std::string plugin = "auto";  ///< a power_meter component, or "none"
  double period_ms = 100.0;     ///< sampling period of the background thread
};

/// The host keys of [data] (the dataset plugin adds its own).
struct DataSettings {
  std::string plugin = "fashion-mnist";
  int64_t batch_size = 128;
  int64_t eval_batch_size = 1000;
  double val_split = 0.1;
  std::vector<std::string> classes;
  bool relabel = false;  ///< true: the kept classes become labels 0..k-1 (a k-way head)
  int64_t limit_train = 0;
  int64_t limit_test = 0;
  std::string prefetch = "auto";
};

/// The host keys of [model] (the architecture plugin adds its own; `budget` is a table read on
/// its own, budget.h).
struct ModelSettings {
  std::string architecture = "vgg11";
  double width = 1.0;
  std::vector<int64_t> widths;
  std::string widths_from;
  std::string checkpoint;  ///< "": fresh weights; else a checkpoint to start from
};

/// The one declaration of each table's names, docs, defaults and ranges.
const OptionBinder<RunSettings>& run_binder();
const OptionBinder<DataSettings>& data_binder();
const OptionBinder<ModelSettings>& model_binder();
const OptionBinder<MeterSettings>& meter_binder();

/// Their schemas: run_binder().schema(), ...
OptionSchema run_schema();
OptionSchema data_schema();
OptionSchema model_schema();
OptionSchema meter_schema();

// Each stage kind declares its own keys: stage_kind.h.

}  // namespace gear::host
