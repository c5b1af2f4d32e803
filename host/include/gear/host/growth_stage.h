#pragma once

#include <nlohmann/json.hpp>

#include "gear/growth_strategy.h"
#include "gear/host/data_stream.h"
#include "gear/host/pipeline.h"

namespace gear::host {

/// Everything a grow stage needs from the run.
struct GrowthInputs {
  GrowableNet* net = nullptr;
  const DeviceData* train = nullptr;
  Normalizer normalizer;
  int64_t batch_size = 128;
  bool prefetch = true;
  uint64_t seed = 0;
  Budget budget;
};

/// Runs the stage's strategy on the net and returns what stages.json records for it: widths
/// before and after per group, new channels (split vs fresh), what bound the growth, the
/// strategy's own figures. Errors from the strategy come back as PluginError at the stage.
nlohmann::json run_growth(const StageSpec& stage, const Registry& registry, GrowthInputs inputs);

/// Bytes of a net's parameters and buffers.
int64_t model_bytes(GrowableNet& net);

}  // namespace gear::host
