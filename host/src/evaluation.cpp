#include "gear/host/evaluation.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "gear/host/device.h"
#include "gear/host/plugin_error.h"
#include "gear/host/stopwatch.h"

namespace gear::host {
namespace {

class HostEvaluationContext final : public EvaluationContext {
 public:
  HostEvaluationContext(const EvaluationInputs& inputs, std::string suite)
      : inputs_(inputs), suite_(std::move(suite)) {}

  torch::Device device() const override { return inputs_.data->images.device(); }
  const torch::Tensor& images() const override { return inputs_.data->images; }
  const torch::Tensor& labels() const override { return inputs_.data->labels; }
  int64_t batch_size() const override { return inputs_.batch_size; }
  std::string dataset() const override { return inputs_.dataset; }

  torch::Tensor predict(const torch::Tensor& images) override {
    GrowableNet& net = *inputs_.net;
    const bool was_training = net.is_training();
    net.eval();
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> predictions;
    for (int64_t begin = 0; begin < images.size(0); begin += inputs_.batch_size) {
      const int64_t end = std::min(begin + inputs_.batch_size, images.size(0));
      torch::Tensor batch = images.slice(0, begin, end).to(device());
      predictions.push_back(net.forward(inputs_.normalizer(batch)).argmax(1));
    }
    net.train(was_training);
    if (predictions.empty())
      return torch::empty({0}, torch::TensorOptions().dtype(torch::kLong).device(device()));
    return torch::cat(predictions);
  }

  torch::Generator make_generator(uint64_t stream) const override {
    // A splitmix-style mix keeps streams of nearby numbers unrelated.
    uint64_t z = inputs_.seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return host::make_generator(device(), z ^ (z >> 31));
  }

  void log(const std::string& message) override { spdlog::info("  {}: {}", suite_, message); }

 private:
  const EvaluationInputs& inputs_;
  std::string suite_;
};

}  // namespace

nlohmann::json run_evaluator(const ComponentRef& evaluator, const StageSpec& stage,
                             const Registry& registry, const EvaluationInputs& inputs) {
  const auto start = std::chrono::steady_clock::now();
  const ComponentEntry* entry = registry.find(evaluator.name);
  const std::string where = stage.where.str() + " (stage " + std::to_string(stage.index) + ")";
  std::shared_ptr<Evaluator> plugin = registry.create_evaluator(evaluator.name, evaluator.options);
  HostEvaluationContext context(inputs, evaluator.name);
  EvaluationResult result;
  call_plugin(evaluator.name, entry->library, where, [&] { result = plugin->evaluate(context); });
  nlohmann::json details = nlohmann::json::object();
  for (const auto& [row, columns] : result.details) details[row] = columns;
  return {{"metrics", result.metrics}, {"details", details}, {"seconds", seconds_since(start)}};
}

}  // namespace gear::host
