// kind = "prune": a pruner removes whole channels until a fraction of the parameters is freed;
// the net is physically smaller afterwards (new tensors, the kept channels' weights).
#include <spdlog/spdlog.h>

#include "gear/host/data_stream.h"
#include "gear/host/device.h"
#include "gear/host/growth_stage.h"
#include "gear/host/plugin_error.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_reading.h"
#include "gear/host/toml_config.h"
#include "gear/pruner.h"

namespace gear::host {
namespace {

using nlohmann::json;

constexpr const char* kTargetParams = "target.params";

// The host's side of a prune stage: the target, the training data and a seeded generator.
class HostPruningContext final : public PruningContext {
 public:
  HostPruningContext(RunContext& run, PruneTarget target, uint64_t seed)
      : run_(run), target_(target), seed_(seed), generator_(make_generator(torch::kCPU, seed)) {}
  torch::Device device() const override { return run_.device; }
  const PruneTarget& target() const override { return target_; }
  torch::Generator& generator() override { return generator_; }
  void for_each_batch(const GrowthContext::BatchStep& step, int64_t max_batches) override {
    for_each_batch_of(run_.train, run_.pipeline.data_settings.batch_size, nullptr, run_.normalizer,
                      run_.prefetch, seed_ + 7919 * ++passes_, max_batches, step);
  }

 private:
  RunContext& run_;
  PruneTarget target_;
  uint64_t seed_;
  torch::Generator generator_;
  uint64_t passes_ = 0;
};

class PruneStage final : public StageKind {
 public:
  std::string name() const override { return "prune"; }
  std::string doc() const override {
    return "a pruner removes whole channels until target = { params = f } of the parameters is "
           "freed";
  }

  OptionSchema schema() const override {
    return common_stage_schema().add_required("pruner", ValueType::kString, "pruner plugin");
  }

  std::string describe_note() const override {
    return "target = { params = f }: the fraction in (0, 1) of the trainable parameters to free "
           "(required); the pruner's own options go in the same table";
  }

  void read(const toml::table& table, const StageReadContext& context,
            StageSpec& stage) const override {
    Config host;
    stage.component =
        component_section(table, context.path, "pruner", "", ComponentKindOf<Pruner>::kName,
                          schema(), context.registry, context.file, &host, {"target"});
    const std::string key = context.path + ".target";
    const toml::node* target = table.get("target");
    if (!target) throw ConfigError(stage.where, key, "a prune stage needs target = { params = f }");
    if (!target->is_table())
      throw ConfigError(position_of(*target, context.file), key,
                        "expected a table: target = { params = f }");
    const toml::table& t = *target->as_table();
    for (const auto& [k, node] : t) {
      const std::string field(k.str());
      if (field == "macs" || field == "bytes")
        throw ConfigError(position_of(node, context.file), key + "." + field,
                          "target." + field + " is planned, not built yet; use params");
      if (field != "params")
        throw ConfigError(position_of(node, context.file), key + "." + field,
                          "unknown target '" + field + "'; expected params");
    }
    const toml::node* params = t.get("params");
    if (!params)
      throw ConfigError(position_of(*target, context.file), key + ".params",
                        "target needs params = f, the fraction of parameters to free");
    const std::optional<double> fraction = params->value<double>();
    if (!fraction || !(*fraction > 0.0 && *fraction < 1.0))
      throw ConfigError(position_of(*params, context.file), key + ".params",
                        "must be a fraction in (0, 1) of the parameters to free");
    host.set(kTargetParams, Value(*fraction), position_of(*params, context.file), true);
    stage.component.options = host;
    stage.options = host;
  }

  void check(const StageSpec& stage, const Registry& registry) const override {
    registry.create<Pruner>(stage.component.name, stage.component.options);
  }

  json run(const PlannedStage& planned, RunContext& run) const override {
    const StageSpec& stage = planned.stage;
    GrowableNet& net = *run.net;
    auto pruner = run.registry.create<Pruner>(stage.component.name, stage.component.options);
    PruneTarget target;
    target.params = stage.options.get<double>(kTargetParams);
    HostPruningContext context(run, target, run.seed + 131 * static_cast<uint64_t>(stage.index));
    const std::vector<std::string> names = net.group_names();
    const std::vector<int64_t> before = net.widths();
    const int64_t params_before = net.params(), bytes_before = model_bytes(net);
    PruneResult result;
    call_plugin(stage.component.name, run.registry.library_of(stage.component.name),
                stage.position(), [&] { result = pruner->prune(net, context); });
    const std::string checkpoint =
        run.net_reshaped(stage.index, "stage" + std::to_string(stage.index) + ".pt");
    const int64_t params_after = net.params();
    const double freed =
        1.0 - static_cast<double>(params_after) / static_cast<double>(params_before);
    spdlog::info("prune ({}): params {} -> {} ({:.1f}% freed, target {:.1f}%), bound by {}",
                 stage.component.name, params_before, params_after, 100.0 * freed,
                 100.0 * target.params, result.bound_by);
    return {{"pruner", stage.component.name},
            {"target", {{"params", target.params}}},
            {"widths_before", per_group(names, before)},
            {"widths_after", per_group(names, net.widths())},
            {"removed", per_group(names, result.removed)},
            {"params_before", params_before},
            {"params_after", params_after},
            {"freed_params_fraction", freed},
            {"bytes_before", bytes_before},
            {"bytes_after", model_bytes(net)},
            {"bound_by", result.bound_by},
            {"metrics", result.metrics},
            {"records", records_json(result.records)},
            {"checkpoint", checkpoint}};
  }
};

}  // namespace

const StageKind& prune_stage_kind() {
  static const PruneStage kind;
  return kind;
}

}  // namespace gear::host
