#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "gear/evaluator.h"
#include "gear/growable_net.h"
#include "gear/host/data_stream.h"
#include "gear/host/pipeline.h"
#include "gear/host/registry.h"

namespace gear::host {

/// What an evaluate stage's evaluator plugins work on.
struct EvaluationInputs {
  GrowableNet* net = nullptr;        ///< borrowed; left in the mode it was in
  const DeviceData* data = nullptr;  ///< the split, on the net's device
  Normalizer normalizer;
  int64_t batch_size = 1000;
  uint64_t seed = 0;
  std::string dataset;  ///< the dataset plugin's name
};

/// Runs one evaluator plugin, with any exception attributed to it and to the stage's position.
/// Returns {"metrics": {...}, "details": {...}, "seconds": s}.
nlohmann::json run_evaluator(const ComponentRef& evaluator, const StageSpec& stage,
                             const Registry& registry, const EvaluationInputs& inputs);

}  // namespace gear::host
