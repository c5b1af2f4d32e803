#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gear/growth_strategy.h"
#include "gear/host/data_stream.h"
#include "gear/host/pipeline.h"

namespace gear::host {

/// Everything a grow stage needs from the run.
struct GrowthInputs {
  GrowableNet* net = nullptr;
  const DeviceData* train = nullptr;
  /// Augments the batches the strategy sees (borrowed; null: clean). Every view is passed on,
  /// concatenated, with the labels repeated.
  Augmentation* augmentation = nullptr;
  Normalizer normalizer;
  int64_t batch_size = 128;
  bool prefetch = true;
  uint64_t seed = 0;
  /// The caps the strategy sees (GrowthContext::budget) and the host checks.
  Budget budget;
  /// The budget as the pipeline wrote it ({"bytes": "8MiB"}), copied into the record.
  nlohmann::json budget_written = nlohmann::json::object();
  /// One input sample [C, H, W]: the train_memory budget is measured on batches of it.
  std::vector<int64_t> sample_shape;
  /// Parameters of the full-width model, for "size_percent" (0: not reported).
  int64_t reference_params = 0;
  /// Shot j of k of a multi-shot growth (0 of 0 for a one-shot grow stage), for the log.
  int64_t step = 0, steps = 0;
};

/// Runs the stage's strategy on the net and returns what stages.json records for it: widths
/// before and after per group, new channels kept (split vs fresh, per group and in total),
/// params, size % of the full-width model and bytes before and after, the peak training memory
/// after (when the budget caps it), the budget as written, what bound the growth and the
/// strategy's own figures. Errors from the strategy come back as PluginError at the stage.
nlohmann::json run_growth(const StageSpec& stage, const Registry& registry, GrowthInputs inputs);

/// {group name: value} for parallel `names` and `values` (borrowed), as the records write them.
nlohmann::json per_group(const std::vector<std::string>& names, const std::vector<int64_t>& values);

/// A plugin's records (GrowthResult::records, PruneResult::records) as JSON.
nlohmann::json records_json(const std::map<std::string, Value>& records);

/// Bytes of a net's parameters and buffers.
int64_t model_bytes(GrowableNet& net);

/// The first budget field `net` exceeds, checked cheapest first: "params", "bytes", then
/// "train_memory" (measured with measure_train_memory at `batch_size` on `device`); "" if none.
std::string exceeded_budget_field(GrowableNet& net, const Budget& budget,
                                  const std::vector<int64_t>& sample_shape, int64_t batch_size,
                                  torch::Device device);

}  // namespace gear::host
