#include "gear/host/run_progress.h"

namespace gear::host {

nlohmann::json to_json(const RunProgress& progress) {
  return {{"stages", progress.stages},
          {"cost_before", progress.cost_before},
          {"finetune_seconds", progress.finetune_seconds},
          {"retrain_seconds", progress.retrain_seconds},
          {"latency_widths", progress.latency_widths},
          {"latency", progress.latency},
          {"seconds_before", progress.seconds_before},
          {"joules_before", progress.joules_before},
          {"resumes", progress.resumes}};
}

RunProgress run_progress_from_json(const nlohmann::json& value) {
  RunProgress progress;
  progress.stages = value.at("stages");
  progress.cost_before = value.at("cost_before");
  progress.finetune_seconds = value.at("finetune_seconds").get<double>();
  progress.retrain_seconds = value.at("retrain_seconds").get<double>();
  progress.latency_widths = value.at("latency_widths").get<std::vector<int64_t>>();
  progress.latency = value.at("latency");
  progress.seconds_before = value.at("seconds_before").get<double>();
  progress.joules_before = value.at("joules_before").get<double>();
  progress.resumes = value.at("resumes");
  return progress;
}

}  // namespace gear::host
