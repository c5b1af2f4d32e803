#include "gear/host/evaluation.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "gear/host/device.h"
#include "gear/host/plugin_error.h"
#include "gear/host/precision.h"
#include "gear/host/stopwatch.h"

namespace gear::host {
namespace {

constexpr const char* kDetails = "details";
constexpr const char* kSeconds = "seconds";

class HostEvaluationContext final : public EvaluationContext {
 public:
  HostEvaluationContext(const EvaluationInputs& inputs, std::string suite)
      : inputs_(inputs), suite_(std::move(suite)) {}

  torch::Device device() const override { return inputs_.data->images.device(); }
  const torch::Tensor& images() const override { return inputs_.data->images; }
  const torch::Tensor& labels() const override { return inputs_.data->labels; }
  int64_t batch_size() const override { return inputs_.batch_size; }
  std::string dataset() const override { return inputs_.dataset; }
  std::vector<std::string> class_names() const override { return inputs_.class_names; }

  torch::Tensor predict(const torch::Tensor& images) override {
    return forward_batches(*inputs_.net, images, Precision::kFp32, true);
  }

  torch::Tensor logits(const torch::Tensor& images, Precision precision) override {
    return forward_batches(*inputs_.net, images, precision, false);
  }

  const DeviceBank& devices() const override {
    if (!inputs_.devices)
      throw std::invalid_argument(
          "the pipeline has no device profiles: write [[device]] tables, or load the devices "
          "plugin (gear-devices) for the built-in bank");
    return *inputs_.devices;
  }

  std::vector<std::string> variants() const override {
    std::vector<std::string> names;
    for (const auto& [name, net] : inputs_.variants) names.push_back(name);
    return names;
  }

  torch::Tensor variant_logits(const std::string& variant, const torch::Tensor& images) override {
    for (const auto& [name, net] : inputs_.variants)
      if (name == variant) return forward_batches(*net, images, Precision::kFp32, false);
    throw std::invalid_argument("no variant net named '" + variant + "' in the stage's variants");
  }

  std::string output_path(const std::string& name) const override {
    return inputs_.output_prefix + "." + suite_ + "." + name;
  }

  torch::Generator make_generator(uint64_t stream) const override {
    // A splitmix-style mix keeps streams of nearby numbers unrelated.
    uint64_t z = inputs_.seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return host::make_generator(device(), z ^ (z >> 31));
  }

  void log(const std::string& message) override { spdlog::info("  {}: {}", suite_, message); }

  const EvaluationResult* reference(const std::string& suite) const override {
    if (!inputs_.reference) return nullptr;
    auto it = inputs_.reference->suites.find(suite);
    return it == inputs_.reference->suites.end() ? nullptr : &it->second;
  }

 private:
  // The net's outputs for `images` in evaluation batches, in eval mode without gradients, at
  // `precision`: argmax labels (`labels`) or float logits.
  torch::Tensor forward_batches(GrowableNet& net, const torch::Tensor& images, Precision precision,
                                bool labels) {
    const bool was_training = net.is_training();
    net.eval();
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> outputs;
    for (int64_t begin = 0; begin < images.size(0); begin += inputs_.batch_size) {
      const int64_t end = std::min(begin + inputs_.batch_size, images.size(0));
      torch::Tensor batch = images.slice(0, begin, end).to(device());
      call_plugin(inputs_.architecture, inputs_.architecture_library, "forward pass for " + suite_,
                  [&] {
                    with_precision(net, precision, device(), [&] {
                      torch::Tensor out = net.forward(inputs_.normalizer(batch));
                      outputs.push_back(labels ? out.argmax(1) : out.to(torch::kFloat));
                    });
                  });
    }
    net.train(was_training);
    if (outputs.empty())
      return labels ? torch::empty({0}, torch::TensorOptions().dtype(torch::kLong).device(device()))
                    : torch::empty({0, 0}, torch::TensorOptions().device(device()));
    return torch::cat(outputs);
  }

  const EvaluationInputs& inputs_;
  std::string suite_;
};

}  // namespace

nlohmann::json run_evaluator(const ComponentRef& evaluator, const StageSpec& stage,
                             const Registry& registry, const EvaluationInputs& inputs) {
  const auto start = std::chrono::steady_clock::now();
  const ComponentEntry* entry = registry.find(evaluator.name);
  const std::string where = stage.position();
  std::shared_ptr<Evaluator> plugin = registry.create<Evaluator>(evaluator.name, evaluator.options);
  HostEvaluationContext context(inputs, evaluator.name);
  EvaluationResult result;
  try {
    call_plugin(evaluator.name, entry->library, where, [&] { result = plugin->evaluate(context); });
  } catch (const ConfigError& e) {
    // An evaluator that cannot use the reference run says so about its key "reference": point
    // at the stage's key, which the user wrote.
    if (!e.where().file.empty() || e.key() != "reference" || !inputs.reference) throw;
    throw ConfigError(
        stage.options.where("reference"), stage.options.path() + ".reference",
        "'" + inputs.reference->file + "': " + e.message() + " (suite " + evaluator.name + ")");
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : result.metrics) {
    if (name == kDetails || name == kSeconds)
      throw PluginError(evaluator.name, entry->library, where,
                        "returned a metric named '" + name + "', a name the host reserves");
    out[name] = value;
  }
  nlohmann::json details = nlohmann::json::object();
  for (const auto& [row, columns] : result.details) details[row] = columns;
  out[kDetails] = details;
  out[kSeconds] = seconds_since(start);
  return out;
}

ReferenceRun read_reference_run(const std::string& path, const Config& options,
                                const std::string& key) {
  namespace fs = std::filesystem;
  fs::path file = path;
  std::error_code ec;
  if (fs::is_directory(file, ec)) file /= "summary.json";
  std::ifstream in(file);
  if (!in) options.fail(key, "cannot open '" + file.string() + "'");
  nlohmann::json summary;
  try {
    summary = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    options.fail(key, "'" + file.string() + "' is not JSON: " + e.what());
  }
  if (!summary.is_object() || !summary.contains("final") || !summary["final"].is_object())
    options.fail(key, "'" + file.string() +
                          "' has no final results (a run's summary.json once it has completed)");
  ReferenceRun reference;
  reference.file = file.string();
  const nlohmann::json& final = summary["final"];
  if (final.contains("clean_accuracy") && final["clean_accuracy"].is_number())
    reference.suites["clean"].metrics["accuracy"] = final["clean_accuracy"].get<double>();
  for (const auto& [suite, block] : final.items()) {
    if (!block.is_object() || !block.contains(kDetails)) continue;  // host fields
    EvaluationResult& result = reference.suites[suite];
    for (const auto& [name, value] : block.items())
      if (value.is_number() && name != kSeconds) result.metrics[name] = value.get<double>();
    for (const auto& [row, columns] : block[kDetails].items())
      for (const auto& [column, value] : columns.items())
        if (value.is_number()) result.details[row][column] = value.get<double>();
  }
  return reference;
}

}  // namespace gear::host
