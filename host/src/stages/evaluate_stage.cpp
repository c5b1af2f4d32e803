// kind = "evaluate": clean accuracy on the test or validation split, and evaluator plugins
// (robustness suites, ...), each under its own name in the records.
#include <spdlog/spdlog.h>

#include "gear/host/checkpoint.h"
#include "gear/host/evaluation.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"
#include "gear/host/toml_config.h"

namespace gear::host {
namespace {

using nlohmann::json;

struct Variant {
  std::string name;
  std::filesystem::path file;
};

// `variants` entries: "name=path" or "path" (named after the run folder or the file's stem).
std::vector<Variant> read_variants(const Config& options) {
  std::vector<Variant> out;
  for (const auto& entry : options.get<std::vector<std::string>>("variants")) {
    const auto eq = entry.find('=');
    Variant variant;
    std::string path = eq == std::string::npos ? entry : entry.substr(eq + 1);
    std::error_code ec;
    variant.file = path;
    if (std::filesystem::is_directory(variant.file, ec))
      variant.file = variant.file / "checkpoints" / "final.pt";
    variant.name = eq != std::string::npos ? entry.substr(0, eq)
                   : std::filesystem::is_directory(path, ec)
                       ? std::filesystem::path(path).lexically_normal().filename().string()
                       : variant.file.stem().string();
    if (variant.name.empty() || path.empty())
      options.fail("variants", "'" + entry + "': expected \"name=path\" or \"path\"");
    for (const auto& other : out)
      if (other.name == variant.name)
        options.fail("variants", "two variants named '" + variant.name + "'");
    out.push_back(variant);
  }
  return out;
}

CheckpointMeta read_variant_meta(const Variant& variant, const Config& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(variant.file, ec))
    options.fail("variants", "variant '" + variant.name + "': no checkpoint file '" +
                                 variant.file.string() + "'");
  try {
    return read_checkpoint_meta(variant.file);
  } catch (const std::exception& e) {
    options.fail("variants", "variant '" + variant.name + "': '" + variant.file.string() +
                                 "' is not a readable GEAR checkpoint: " + e.what());
  }
}

class EvaluateStage final : public StageKind {
 public:
  std::string name() const override { return "evaluate"; }
  std::string doc() const override {
    return "measures the net: clean accuracy and evaluator suites (suites = [...])";
  }

  OptionSchema schema() const override {
    return common_stage_schema()
        .add_string_list("suites", {"clean"},
                         "evaluation suites: \"clean\" (test accuracy and loss) and evaluator "
                         "plugins (\"corruptions\", ...); options of a suite go in a table named "
                         "after it")
        .add_string("split", "test", "which split to evaluate")
        .one_of({"test", "val"})
        .add_string("reference", "",
                    "an earlier run (its folder or its summary.json) whose final results each "
                    "suite may compare against (the corruptions suite's mCE)")
        .add_string_list("variants", {},
                         "other nets of the pipeline's architecture that suites compare this one "
                         "with (the instability suite): \"name=path\" or \"path\", the path a "
                         "GEAR checkpoint or a run folder (its checkpoints/final.pt)");
  }

  std::string describe_note() const override {
    return "each evaluator's options go in a table named after it: corruptions = { ... }";
  }

  void read(const toml::table& table, const StageReadContext& context,
            StageSpec& stage) const override {
    stage.evaluators = read_evaluators(table, context.path, context.registry, context.file);
    std::vector<std::string> suite_tables;
    for (const auto& e : stage.evaluators) suite_tables.push_back(e.name);
    stage.options = config_from_table(table, context.path, schema(), context.file, suite_tables);
    const std::string reference = stage.options.get<std::string>("reference");
    if (!reference.empty()) read_reference_run(reference, stage.options, "reference");
    for (const auto& variant : read_variants(stage.options))
      read_variant_meta(variant, stage.options);
  }

  void write_resolved(const StageSpec& stage, std::ostream& out) const override {
    write_config(out, stage.options);
    for (const auto& evaluator : stage.evaluators) {
      out << "[stage." << evaluator.name << "]\n";
      write_config(out, evaluator.options);
    }
  }

  void check(const StageSpec& stage, const Registry& registry) const override {
    for (const ComponentRef& evaluator : stage.evaluators)
      registry.create<Evaluator>(evaluator.name, evaluator.options);
  }

  json run(const PlannedStage& planned, RunContext& run) const override;
};

json EvaluateStage::run(const PlannedStage& planned, RunContext& run) const {
  const StageSpec& stage = planned.stage;
  const bool on_val = stage.options.get<std::string>("split") == "val";
  const DeviceData& data = on_val ? run.val : run.test;
  const auto suites = stage.options.get<std::vector<std::string>>("suites");
  const std::string where = "stage " + std::to_string(stage.index) + " (evaluate)";
  json record = {{"split", on_val ? "val" : "test"}, {"suites", suites}};
  if (std::find(suites.begin(), suites.end(), "clean") != suites.end()) {
    PassStats stats = run.evaluate_net(data, where);
    if (!on_val) run.last_test = stats;
    spdlog::info("stage {} evaluate ({}): accuracy {:.4f}, loss {:.4f} on {} images", stage.index,
                 on_val ? "val" : "test", stats.accuracy, stats.loss, stats.samples);
    record["clean_accuracy"] = stats.accuracy;
    record["loss"] = stats.loss;
    record["images"] = stats.samples;
  }
  ReferenceRun reference;
  const std::string reference_file = stage.options.get<std::string>("reference");
  if (!reference_file.empty())
    reference = read_reference_run(reference_file, stage.options, "reference");
  EvaluationInputs inputs{run.net.get(),
                          &data,
                          run.normalizer,
                          run.pipeline.data_settings.eval_batch_size,
                          run.seed + 7919 * static_cast<uint64_t>(stage.index + 1),
                          run.pipeline.dataset.name,
                          &reference,
                          run.pipeline.architecture.name,
                          run.architecture_library(),
                          run.devices.get(),
                          {},
                          (run.folder->root() / ("stage" + std::to_string(stage.index))).string(),
                          run.info.class_names};
  for (const Variant& variant : read_variants(stage.options)) {
    const CheckpointMeta meta = read_variant_meta(variant, stage.options);
    if (meta.architecture != run.pipeline.architecture.name ||
        meta.num_classes != run.info.num_classes)
      stage.options.fail("variants", "variant '" + variant.name + "' is a " + meta.architecture +
                                         " net with " + std::to_string(meta.num_classes) +
                                         " classes; this run's is a " +
                                         run.pipeline.architecture.name + " net with " +
                                         std::to_string(run.info.num_classes));
    inputs.variants.emplace_back(variant.name, run.rebuild_net(meta.widths, variant.file, where));
  }
  for (const ComponentRef& evaluator : stage.evaluators) {
    json outcome = run_evaluator(evaluator, stage, run.registry, inputs);
    record[evaluator.name] = outcome;
    if (!on_val) run.last_suites[evaluator.name] = outcome;
    std::string headline;
    for (const auto& [key, value] : outcome.items())
      if (value.is_number() && key != "seconds")
        headline += " " + key + " " + fmt::format("{:.4f}", value.get<double>());
    spdlog::info("stage {} evaluate ({}): {}{} ({:.1f} s)", stage.index, evaluator.name,
                 on_val ? "val" : "test", headline, outcome.at("seconds").get<double>());
  }
  return record;
}

}  // namespace

const StageKind& evaluate_stage_kind() {
  static const EvaluateStage kind;
  return kind;
}

}  // namespace gear::host
