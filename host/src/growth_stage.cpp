#include "gear/host/growth_stage.h"

#include <spdlog/spdlog.h>

#include <numeric>

#include "gear/host/device.h"
#include "gear/host/distributed/world.h"
#include "gear/host/stage_passes.h"
#include "gear/host/train_memory.h"

namespace gear::host {

int64_t model_bytes(GrowableNet& net) {
  int64_t bytes = 0;
  for (const auto& p : net.parameters())
    bytes += p.numel() * static_cast<int64_t>(p.element_size());
  for (const auto& b : net.buffers()) bytes += b.numel() * static_cast<int64_t>(b.element_size());
  return bytes;
}

std::string exceeded_budget_field(GrowableNet& net, const Budget& budget,
                                  const std::vector<int64_t>& sample_shape, int64_t batch_size,
                                  torch::Device device) {
  if (budget.params && net.params() > *budget.params) return "params";
  if (budget.bytes && model_bytes(net) > *budget.bytes) return "bytes";
  if (budget.train_memory &&
      measure_train_memory(net, sample_shape, batch_size, device) > *budget.train_memory)
    return "train_memory";
  return {};
}

namespace {

class HostGrowthContext final : public GrowthContext {
 public:
  explicit HostGrowthContext(GrowthInputs& inputs)
      : inputs_(inputs),
        generator_(make_generator(torch::kCPU, inputs.seed)),
        passes_(*inputs.train, inputs.batch_size, inputs.augmentation, inputs.normalizer,
                inputs.prefetch, inputs.seed, current_world()) {}

  torch::Device device() const override { return inputs_.train->images.device(); }

  void for_each_batch(const BatchStep& step, int64_t max_batches) override {
    passes_.for_each_batch(step, max_batches);
  }
  void for_each_shard(const ShardStep& step, int64_t max_batches) override {
    passes_.for_each_shard(step, max_batches);
  }
  void sum_across_ranks(const std::vector<torch::Tensor>& tensors) override {
    passes_.sum_across_ranks(tensors);
  }
  const PassCounts& pass_counts() const { return passes_.counts(); }

  torch::Generator& generator() override { return generator_; }
  std::vector<int64_t> sample_shape() const override { return inputs_.sample_shape; }
  const Budget& budget() const override { return inputs_.budget; }

  std::string exceeds_budget(GrowableNet& net) override {
    return exceeded_budget_field(net, inputs_.budget, inputs_.sample_shape, inputs_.batch_size,
                                 device());
  }

 private:
  GrowthInputs& inputs_;
  torch::Generator generator_;
  StagePasses passes_;
};

int64_t total(const std::vector<int64_t>& values) {
  return std::accumulate(values.begin(), values.end(), int64_t{0});
}

// "conv0 8->12, conv1 16->20": the groups whose width changed, or "none" if nothing grew.
std::string width_changes(const std::vector<std::string>& names, const std::vector<int64_t>& before,
                          const std::vector<int64_t>& after) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < before.size() && i < after.size(); ++i) {
    if (before[i] == after[i]) continue;
    out += (out.empty() ? "" : ", ") + names[i] + " " + std::to_string(before[i]) + "->" +
           std::to_string(after[i]);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

nlohmann::json per_group(const std::vector<std::string>& names,
                         const std::vector<int64_t>& values) {
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) out[names[i]] = values[i];
  return out;
}

nlohmann::json records_json(const std::map<std::string, Value>& records) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : records)
    std::visit([&, key = name](const auto& v) { out[key] = v; }, value);
  return out;
}

nlohmann::json run_growth(const StageSpec& stage, const Registry& registry, GrowthInputs inputs) {
  GrowableNet& net = *inputs.net;
  auto strategy = registry.create<GrowthStrategy>(stage.component.name, stage.component.options);
  const std::vector<std::string> names = net.group_names();
  const std::vector<int64_t> before = net.widths();
  const int64_t params_before = net.params();
  const int64_t bytes_before = model_bytes(net);
  HostGrowthContext context(inputs);
  GrowthResult result;
  call_plugin(stage.component.name, registry.library_of(stage.component.name), stage.position(),
              [&] { result = strategy->grow(net, context); });
  const std::vector<int64_t> after = net.widths();
  const int64_t params_after = net.params();
  auto percent = [&](int64_t params) {
    return inputs.reference_params > 0
               ? nlohmann::json(100.0 * static_cast<double>(params) /
                                static_cast<double>(inputs.reference_params))
               : nlohmann::json();
  };
  nlohmann::json record = {
      {"strategy", stage.component.name},
      {"augmentation", stage.augmentation.name.empty() ? "none" : stage.augmentation.name},
      {"widths_before", per_group(names, before)},
      {"widths_after", per_group(names, after)},
      {"kept", {{"split", total(result.split)}, {"fresh", total(result.fresh)}}},
      {"split", per_group(names, result.split)},
      {"fresh", per_group(names, result.fresh)},
      {"bound_by", result.bound_by},
      {"budget", inputs.budget_written},
      {"params_before", params_before},
      {"params_after", params_after},
      {"size_percent_before", percent(params_before)},
      {"size_percent_after", percent(params_after)},
      {"bytes_before", bytes_before},
      {"bytes_after", model_bytes(net)},
      {"metrics", result.metrics},
      {"records", records_json(result.records)},
      {"data_passes", passes_json(context.pass_counts())}};
  const torch::Device device = inputs.train->images.device();
  if (inputs.budget.train_memory)
    record["train_memory_after"] =
        measure_train_memory(net, inputs.sample_shape, inputs.batch_size, device);
  // A strategy that overshoots its budget is a plugin bug worth seeing, not a reason to stop.
  Budget caps = inputs.budget;
  caps.train_memory.reset();  // measured just above; compare the figure instead of re-measuring
  std::string over =
      exceeded_budget_field(net, caps, inputs.sample_shape, inputs.batch_size, device);
  if (over.empty() && inputs.budget.train_memory &&
      record["train_memory_after"].get<int64_t>() > *inputs.budget.train_memory)
    over = "train_memory";
  if (!over.empty()) {
    record["over_budget"] = over;
    spdlog::warn("grow ({}): the grown net exceeds the budget's {} ({})", stage.component.name,
                 over, inputs.budget_written.dump());
  }
  const std::string step = inputs.steps > 1 ? ", step " + std::to_string(inputs.step) + "/" +
                                                  std::to_string(inputs.steps)
                                            : "";
  const std::string sizes = inputs.reference_params > 0
                                ? fmt::format(" ({:.2f}% -> {:.2f}% of full size)",
                                              record["size_percent_before"].get<double>(),
                                              record["size_percent_after"].get<double>())
                                : "";
  spdlog::info(
      "grow ({}{}): bound by {}{}; params {} -> {}{}; kept {} split + {} fresh channels; "
      "widths {}",
      stage.component.name, step, result.bound_by,
      inputs.budget_written.empty() ? "" : " (budget " + inputs.budget_written.dump() + ")",
      params_before, params_after, sizes, total(result.split), total(result.fresh),
      width_changes(names, before, after));
  return record;
}

}  // namespace gear::host
