#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "gear/evaluator.h"
#include "gear/growable_net.h"
#include "gear/host/data_stream.h"
#include "gear/host/pipeline.h"
#include "gear/host/registry.h"

namespace gear::host {

/// What an earlier run measured on its final weights, by suite: what EvaluationContext::reference
/// offers an evaluator. The suite "clean" holds {"accuracy": final.clean_accuracy}.
struct ReferenceRun {
  std::string file;  ///< the summary.json it was read from
  std::map<std::string, EvaluationResult> suites;
};

/// Reads a run's summary.json (`path` is the file or the run's folder). Throws ConfigError at
/// `options`' key `key` when it cannot be read, is not JSON or has no final results.
ReferenceRun read_reference_run(const std::string& path, const Config& options,
                                const std::string& key);

/// What an evaluate stage's evaluator plugins work on.
struct EvaluationInputs {
  GrowableNet* net = nullptr;        ///< borrowed; left in the mode it was in
  const DeviceData* data = nullptr;  ///< the split, on the net's device
  Normalizer normalizer;
  int64_t batch_size = 1000;
  uint64_t seed = 0;
  std::string dataset;                      ///< the dataset plugin's name
  const ReferenceRun* reference = nullptr;  ///< borrowed; null: none
  /// The architecture plugin and its library: predict() runs its forward pass, and errors there
  /// are attributed to it.
  std::string architecture, architecture_library;
  /// The run's device profiles (borrowed; null: none available).
  const DeviceBank* devices = nullptr;
  /// The nets the stage compares this one with (its `variants`), by name, in order.
  std::vector<std::pair<std::string, std::shared_ptr<GrowableNet>>> variants;
  /// Files a suite writes go to `<output_prefix>.<suite>.<name>` ("runs/x/stage2").
  std::string output_prefix;
  std::vector<std::string> class_names;  ///< by label
};

/// Runs one evaluator plugin, with any exception attributed to it and to the stage's position.
/// Returns what summary.json records under the suite's name: its metrics, "details" (its
/// tables) and "seconds". Throws PluginError when a metric uses a name the host reserves.
nlohmann::json run_evaluator(const ComponentRef& evaluator, const StageSpec& stage,
                             const Registry& registry, const EvaluationInputs& inputs);

}  // namespace gear::host
