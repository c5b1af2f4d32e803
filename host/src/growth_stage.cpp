#include "gear/host/growth_stage.h"

#include <spdlog/spdlog.h>

#include "gear/host/device.h"

namespace gear::host {

int64_t model_bytes(GrowableNet& net) {
  int64_t bytes = 0;
  for (const auto& p : net.parameters()) bytes += p.numel() * static_cast<int64_t>(p.element_size());
  for (const auto& b : net.buffers()) bytes += b.numel() * static_cast<int64_t>(b.element_size());
  return bytes;
}

namespace {

class HostGrowthContext final : public GrowthContext {
 public:
  explicit HostGrowthContext(GrowthInputs& inputs)
      : inputs_(inputs), generator_(make_generator(torch::kCPU, inputs.seed)) {}

  torch::Device device() const override { return inputs_.train->images.device(); }

  void for_each_batch(const std::function<void(const torch::Tensor&, const torch::Tensor&)>& step)
      override {
    BatchStream stream(*inputs_.train, inputs_.batch_size, nullptr, inputs_.normalizer,
                       inputs_.prefetch);
    stream.start_epoch(inputs_.seed + 7919 * ++passes_);
    while (auto batch = stream.next()) step(batch->images, batch->labels);
  }

  torch::Generator& generator() override { return generator_; }
  const Budget& budget() const override { return inputs_.budget; }

  std::string exceeds_budget(GrowableNet& net) override {
    if (inputs_.budget.params && net.params() > *inputs_.budget.params) return "params";
    if (inputs_.budget.bytes && model_bytes(net) > *inputs_.budget.bytes) return "bytes";
    return {};
  }

 private:
  GrowthInputs& inputs_;
  torch::Generator generator_;
  uint64_t passes_ = 0;
};

nlohmann::json per_group(const std::vector<std::string>& names, const std::vector<int64_t>& values) {
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) out[names[i]] = values[i];
  return out;
}

}  // namespace

nlohmann::json run_growth(const StageSpec& stage, const Registry& registry, GrowthInputs inputs) {
  GrowableNet& net = *inputs.net;
  auto strategy = registry.create_growth(stage.component.name, stage.component.options);
  const std::vector<std::string> names = net.group_names();
  const std::vector<int64_t> before = net.widths();
  const int64_t params_before = net.params();
  HostGrowthContext context(inputs);
  GrowthResult result;
  const ComponentEntry* entry = registry.find(stage.component.name);
  call_plugin(stage.component.name, entry ? entry->library : "?",
              stage.where.str() + " (stage " + std::to_string(stage.index) + ")",
              [&] { result = strategy->grow(net, context); });
  const std::vector<int64_t> after = net.widths();
  spdlog::info("grow ({}): params {} -> {}, bound by {}", stage.component.name, params_before,
               net.params(), result.bound_by);
  return {{"strategy", stage.component.name},
          {"widths_before", per_group(names, before)},
          {"widths_after", per_group(names, after)},
          {"split", per_group(names, result.split)},
          {"fresh", per_group(names, result.fresh)},
          {"bound_by", result.bound_by},
          {"params_before", params_before},
          {"metrics", result.metrics}};
}

}  // namespace gear::host
