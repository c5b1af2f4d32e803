#pragma once

/// @file
/// The state of one run that stages work on: the data, the net, the run folder and the results
/// so far. The runner owns it and hands it to each stage kind's run().

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "gear/architecture.h"
#include "gear/dataset.h"
#include "gear/growable_net.h"
#include "gear/host/checkpoint.h"
#include "gear/host/data_stream.h"
#include "gear/host/device_bank.h"
#include "gear/host/energy_monitor.h"
#include "gear/host/pipeline.h"
#include "gear/host/registry.h"
#include "gear/host/run_folder.h"
#include "gear/host/runner.h"
#include "gear/host/trainer.h"

namespace gear::report {
class EventWriter;
}

namespace gear::host {

/// One run's state. Members are public: stage kinds read and change them (a grow stage replaces
/// the net's tensors, a train stage records results). References to the pipeline and the
/// registry are borrowed for the run.
struct RunContext {
  RunContext(const Pipeline& pipeline, const Registry& registry, RunOptions options)
      : pipeline(pipeline), registry(registry), options(std::move(options)) {}

  const Pipeline& pipeline;
  const Registry& registry;
  RunOptions options;
  std::unique_ptr<RunFolder> folder;
  torch::Device device = torch::kCPU;
  int threads = 1;
  bool prefetch = false;
  bool channels_last = false;
  /// > 1: batch-split training over this many CPU workers (batch_split_step.h).
  int split_workers = 0;
  /// Training steps' precision (run.precision): kFp32, kBf16 or kFp16.
  Precision precision = Precision::kFp32;
  uint64_t seed = 0;
  DatasetInfo info;
  /// The classes the run trains and tests on (data.classes, or all of info's).
  std::vector<std::string> kept_classes;
  DeviceData train, val, test;
  Normalizer normalizer;
  std::shared_ptr<Architecture> architecture;
  std::shared_ptr<GrowableNet> net;
  /// Parameters of the architecture's full-size model (the reference for "size %").
  int64_t reference_params = 0;
  /// Results on the current weights, for summary.json's `final` block; cleared when they change.
  std::optional<PassStats> last_test;
  /// Evaluator results on the current test weights, by suite.
  nlohmann::json last_suites = nlohmann::json::object();
  /// While true, evaluate_net refuses the test split: a stage that makes decisions (a search)
  /// seals it so they rest on the validation split alone.
  bool test_sealed = false;
  /// The pipeline's device profiles, checked against the data and the device; null when the
  /// pipeline has none (no [[device]] table and no devices plugin for the built-in bank).
  std::shared_ptr<HostDeviceBank> devices;
  /// The run's power meter, sampled in the background; null when the run is not metered.
  std::unique_ptr<EnergyMonitor> energy;
  /// TensorBoard events in <run>/tensorboard; null when they cannot be written.
  std::shared_ptr<report::EventWriter> events;
  /// Training epochs run so far across stages: the step of per-epoch TensorBoard scalars.
  int64_t epochs_run = 0;

  /// A train loop's own state at a resume point: JSON and tensors by name.
  struct TrainState {
    nlohmann::json json;
    std::map<std::string, torch::Tensor> tensors;
  };
  /// Records checkpoints/resume.pt now, inside the current stage, with the train loop's state
  /// (the runner adds its own and the net). Installed by the runner.
  std::function<void(const TrainState&)> save_resume_point;
  /// Set by the runner on --resume when the point it continues from lies inside a train stage:
  /// that stage's train loop takes it and continues where it was.
  std::optional<TrainState> resume_train;

  /// Forgets the results on the current weights (they changed).
  void weights_changed();
  /// After a stage changed the net's tensors (growth, pruning): re-applies the memory format,
  /// moves the net to the device, forgets the results on the old weights and checkpoints the
  /// new net as checkpoints/<file>. Returns "checkpoints/<file>" for the stage's record.
  std::string net_reshaped(int64_t stage, const std::string& file);
  /// A new net of the run's architecture at `widths` (group order) with the tensors of the
  /// checkpoint `weights`, in the run's memory format on its device. Errors from the
  /// architecture are attributed to it and to `where`.
  std::shared_ptr<GrowableNet> rebuild_net(const std::vector<int64_t>& widths,
                                           const std::filesystem::path& weights,
                                           const std::string& where) const;
  /// What a checkpoint written now records.
  CheckpointMeta checkpoint_meta(int64_t stage, int64_t epoch, double val_accuracy) const;
  /// Loss and accuracy of the net on `data` in eval mode, with any exception from the
  /// architecture's forward pass attributed to it and to `where`. Throws std::logic_error for
  /// the test split while test_sealed.
  PassStats evaluate_net(const DeviceData& data, const std::string& where);
  /// The meter's cumulative reading now; nullopt when the run is not metered.
  std::optional<EnergyReading> energy_now() const {
    return energy ? std::optional<EnergyReading>(energy->read()) : std::nullopt;
  }
  /// Writes `value` under `tag` at `step` to the TensorBoard events, when they are written.
  void scalar(const std::string& tag, int64_t step, double value);
  /// The architecture plugin's library, for attributing errors.
  std::string architecture_library() const;
};

}  // namespace gear::host
