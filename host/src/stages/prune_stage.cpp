// kind = "prune": a pruner removes whole channels until a fraction of the parameters (or MACs,
// or bytes) is removed; the net is physically smaller afterwards (new tensors, the kept
// channels' weights).
#include <spdlog/spdlog.h>

#include "gear/host/pruning_run.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"
#include "gear/host/toml_config.h"
#include "gear/pruner.h"

namespace gear::host {
namespace {

using nlohmann::json;

class PruneStage final : public StageKind {
 public:
  std::string name() const override { return "prune"; }
  std::string doc() const override {
    return "a pruner removes whole channels until target = { params = f } (or macs, bytes) is "
           "removed";
  }

  OptionSchema schema() const override {
    return common_stage_schema().add_required("pruner", ValueType::kString, "pruner plugin");
  }

  std::string describe_note() const override {
    return "target = { params = f } (required): the fraction in (0, 1) of the trainable "
           "parameters to remove; or macs = f (MACs of one forward pass), or bytes = f "
           "(parameters and buffers). The pruner's own options go in the same table";
  }

  void read(const toml::table& table, const StageReadContext& context,
            StageSpec& stage) const override {
    Config host;
    stage.component =
        component_section(table, context.path, "pruner", "", ComponentKindOf<Pruner>::kName,
                          schema(), context.registry, context.file, &host, {"target"});
    read_prune_target(table, context, stage.where, host);
    stage.component.options = host;
    stage.options = host;
  }

  bool prunes() const override { return true; }

  void check(const StageSpec& stage, const Registry& registry) const override {
    registry.create<Pruner>(stage.component.name, stage.component.options);
  }

  json run(const PlannedStage& planned, RunContext& run) const override {
    const StageSpec& stage = planned.stage;
    auto pruner = run.registry.create<Pruner>(stage.component.name, stage.component.options);
    json record = prune_net(run, *pruner, stage, prune_target(stage.options),
                            run.seed + 131 * static_cast<uint64_t>(stage.index));
    record["checkpoint"] =
        run.net_reshaped(stage.index, "stage" + std::to_string(stage.index) + ".pt");
    return record;
  }
};

}  // namespace

const StageKind& prune_stage_kind() {
  static const PruneStage kind;
  return kind;
}

}  // namespace gear::host
