#include "gear/host/pruning_run.h"

#include <spdlog/spdlog.h>

#include "gear/host/data_stream.h"
#include "gear/host/device.h"
#include "gear/host/distributed/world.h"
#include "gear/host/growth_stage.h"
#include "gear/host/plugin_error.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_passes.h"
#include "gear/host/toml_config.h"

namespace gear::host {
namespace {

using nlohmann::json;

// The host's side of pruning: the target, the training data and a seeded generator.
class HostPruningContext final : public PruningContext {
 public:
  HostPruningContext(RunContext& run, PruneTarget target, uint64_t seed)
      : run_(run),
        target_(target),
        generator_(make_generator(torch::kCPU, seed)),
        passes_(run.train, run.pipeline.data_settings.batch_size, nullptr, run.normalizer,
                run.prefetch, seed, current_world()) {}
  torch::Device device() const override { return run_.device; }
  const PruneTarget& target() const override { return target_; }
  const std::vector<int64_t>& sample_shape() const override { return run_.info.image_shape; }
  torch::Generator& generator() override { return generator_; }
  void for_each_batch(const GrowthContext::BatchStep& step, int64_t max_batches) override {
    passes_.for_each_batch(step, max_batches);
  }
  void for_each_shard(const GrowthContext::ShardStep& step, int64_t max_batches) override {
    passes_.for_each_shard(step, max_batches);
  }
  void sum_across_ranks(const std::vector<torch::Tensor>& tensors) override {
    passes_.sum_across_ranks(tensors);
  }
  const PassCounts& pass_counts() const { return passes_.counts(); }

 private:
  RunContext& run_;
  PruneTarget target_;
  torch::Generator generator_;
  StagePasses passes_;
};

constexpr PruneMeasure kMeasures[] = {PruneMeasure::kParams, PruneMeasure::kMacs,
                                      PruneMeasure::kBytes};

}  // namespace

PruneMeasure measure_named(const std::string& name) {
  for (PruneMeasure m : kMeasures)
    if (name == measure_name(m)) return m;
  throw std::invalid_argument("no measure '" + name + "'; expected params, macs or bytes");
}

void read_prune_target(const toml::table& table, const StageReadContext& context,
                       const SourcePosition& stage, Config& host) {
  const std::string key = context.path + ".target";
  const char* form = "target = { params = f } (or macs = f, bytes = f): the fraction to remove";
  const toml::node* target = table.get("target");
  if (!target) throw ConfigError(stage, key, std::string("needs ") + form);
  if (!target->is_table())
    throw ConfigError(position_of(*target, context.file), key, std::string("expected ") + form);
  const toml::table& t = *target->as_table();
  if (t.size() != 1)
    throw ConfigError(position_of(*target, context.file), key,
                      "give exactly one of params, macs or bytes: " + std::string(form));
  std::string field;
  const toml::node* given = nullptr;
  for (const auto& [name, node] : t) {
    field = std::string(name.str());
    given = &node;
  }
  const toml::node& node = *given;
  if (field != "params" && field != "macs" && field != "bytes")
    throw ConfigError(position_of(node, context.file), key + "." + field,
                      "unknown measure '" + field + "'; expected params, macs or bytes");
  const std::optional<double> fraction = node.value<double>();
  if (!fraction || !(*fraction > 0.0 && *fraction < 1.0))
    throw ConfigError(position_of(node, context.file), key + "." + field,
                      "must be a fraction in (0, 1) of the " + field + " to remove");
  host.set("target." + field, Value(*fraction), position_of(node, context.file), true);
}

PruneTarget prune_target(const Config& options) {
  for (PruneMeasure m : kMeasures) {
    const std::string key = std::string("target.") + measure_name(m);
    if (options.has(key)) return {m, options.get<double>(key)};
  }
  throw std::logic_error("a prune stage's options have no target");
}

json prune_net(RunContext& run, Pruner& pruner, const StageSpec& stage, const PruneTarget& target,
               uint64_t seed) {
  GrowableNet& net = *run.net;
  HostPruningContext context(run, target, seed);
  const std::vector<std::string> names = net.group_names();
  const std::vector<int64_t> before = net.widths();
  const std::vector<int64_t>& shape = run.info.image_shape;
  const int64_t params_before = net.params(), bytes_before = model_bytes(net),
                macs_before = net.macs(shape);
  PruneResult result;
  call_plugin(stage.component.name, run.registry.library_of(stage.component.name), stage.position(),
              [&] { result = pruner.prune(net, context); });
  const int64_t params_after = net.params(), bytes_after = model_bytes(net),
                macs_after = net.macs(shape);
  auto freed = [](int64_t b, int64_t a) {
    return b > 0 ? 1.0 - static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  const std::string measure = measure_name(target.measure);
  const double freed_measure =
      target.measure == PruneMeasure::kParams ? freed(params_before, params_after)
      : target.measure == PruneMeasure::kMacs ? freed(macs_before, macs_after)
                                              : freed(bytes_before, bytes_after);
  if (result.bound_by == "floor")
    spdlog::warn(
        "prune ({}): the floors stop at {:.1f}% of the {} removed, short of the target "
        "{:.1f}%; pruned to the floors (lower min_channels or chain_floor to go further)",
        stage.component.name, 100.0 * freed_measure, measure, 100.0 * target.fraction);
  spdlog::info(
      "prune ({}): params {} -> {}, MACs {} -> {} ({:.1f}% of the {} removed, target "
      "{:.1f}%)",
      stage.component.name, params_before, params_after, macs_before, macs_after,
      100.0 * freed_measure, measure, 100.0 * target.fraction);
  return {{"pruner", stage.component.name},
          {"target", {{measure, target.fraction}}},
          {"widths_before", per_group(names, before)},
          {"widths_after", per_group(names, net.widths())},
          {"removed", per_group(names, result.removed)},
          {"params_before", params_before},
          {"params_after", params_after},
          {"macs_before", macs_before},
          {"macs_after", macs_after},
          {"bytes_before", bytes_before},
          {"bytes_after", bytes_after},
          {"freed_params_fraction", freed(params_before, params_after)},
          {"freed_macs_fraction", freed(macs_before, macs_after)},
          {"freed_bytes_fraction", freed(bytes_before, bytes_after)},
          {"freed_fraction", freed_measure},
          {"bound_by", result.bound_by},
          {"metrics", result.metrics},
          {"records", records_json(result.records)},
          {"data_passes", passes_json(context.pass_counts())}};
}

}  // namespace gear::host
