// kind = "search": ADaPT's binary search for the highest pruning level whose retrained accuracy
// on the validation split stays within a tolerance of the net the stage starts from. Every probe
// is pruned afresh from the weights the stage starts from (fine-tuned by the train stage before
// it), then retrained by the stage's [stage.retrain] table; the run goes on with the best probe.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include "gear/host/level_search.h"
#include "gear/host/pruning_run.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"
#include "gear/host/stopwatch.h"
#include "gear/host/toml_config.h"
#include "gear/host/train_loop.h"
#include "gear/pruner.h"

namespace gear::host {

const StageKind& train_stage_kind();

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kRetrain = "retrain";

// The test split stays sealed while the search decides.
class SealedTest {
 public:
  explicit SealedTest(RunContext& run) : run_(run) { run_.test_sealed = true; }
  ~SealedTest() { run_.test_sealed = false; }
  SealedTest(const SealedTest&) = delete;
  SealedTest& operator=(const SealedTest&) = delete;

 private:
  RunContext& run_;
};

class SearchStage final : public StageKind {
 public:
  std::string name() const override { return "search"; }
  std::string doc() const override {
    return "binary search for the highest pruning level whose retrained validation accuracy "
           "stays within a tolerance of the starting net's (ADaPT)";
  }

  OptionSchema schema() const override {
    return common_stage_schema()
        .add_required("pruner", ValueType::kString, "pruner plugin")
        .add_string("measure", "params",
                    "what a level removes a fraction of: params, macs or "
                    "bytes")
        .one_of({"params", "macs", "bytes"})
        .add_string("mode", "memory_opt",
                    "memory_opt: search to convergence for the smallest net that meets the "
                    "target; cost_opt: stop at the first level that meets it")
        .one_of({"memory_opt", "cost_opt"})
        .add_float("tolerance", 0.01,
                   "a level meets the target when its best validation accuracy after retraining "
                   "is at least the reference minus this (0.01: one point)")
        .range(0.0, 1.0)
        .add_float("reference_accuracy", 0.0,
                   "the reference validation accuracy; 0: the starting net's, measured")
        .range(0.0, 1.0)
        .add_float("lowest", 0.05, "lowest level of the grid")
        .range(0.0, 1.0)
        .add_float("highest", 0.95, "highest level of the grid")
        .range(0.0, 1.0)
        .add_float("step", 0.05, "grid step")
        .range(1e-3, 0.5)
        .add_float("start", 0.5, "the first level probed")
        .range(0.0, 1.0);
  }

  std::string describe_note() const override {
    return "[stage.retrain] holds a train stage's keys (epochs, lr, schedule, objective, ...) "
           "for retraining every probe; the pruner's own options go in the stage's table. The "
           "decision uses the validation split only (data.val_split > 0)";
  }

  bool prunes() const override { return true; }

  void read(const toml::table& table, const StageReadContext& context,
            StageSpec& stage) const override {
    Config host;
    stage.component =
        component_section(table, context.path, "pruner", "", ComponentKindOf<Pruner>::kName,
                          schema(), context.registry, context.file, &host, {kRetrain});
    stage.component.options = host;
    stage.options = host;
    const std::string key = context.path + "." + kRetrain;
    const toml::node* node = table.get(kRetrain);
    if (!node || !node->is_table())
      throw ConfigError(node ? position_of(*node, context.file) : stage.where, key,
                        "a search stage needs a [" + key +
                            "] table: a train stage's keys for retraining each probe "
                            "(epochs, lr, ...)");
    toml::table retrain = *node->as_table();
    if (const toml::node* kind = retrain.get("kind");
        kind && kind->value_or(std::string()) != "train")
      throw ConfigError(position_of(*kind, context.file), key + ".kind",
                        "the retraining is a train stage; leave kind out");
    retrain.insert_or_assign("kind", "train");
    StageSpec inner;
    inner.index = stage.index;
    inner.kind = "train";
    inner.where = position_of(*node, context.file);
    train_stage_kind().read(retrain, {context.registry, context.file, key}, inner);
    stage.inner = {std::move(inner)};
    const double lowest = host.get<double>("lowest"), highest = host.get<double>("highest"),
                 start = host.get<double>("start");
    if (!(lowest > 0.0 && lowest <= start && start <= highest && highest < 1.0))
      throw ConfigError(host.where("start"), context.path + ".start",
                        "the grid needs 0 < lowest <= start <= highest < 1");
  }

  void write_resolved(const StageSpec& stage, std::ostream& out) const override {
    write_config(out, stage.options);
    // The retraining's own lines, its sub-tables moved under [stage.retrain].
    std::ostringstream inner;
    train_stage_kind().write_resolved(stage.inner.at(0), inner);
    std::string text = inner.str();
    for (size_t at = 0; (at = text.find("[stage.", at)) != std::string::npos; at += 15)
      text.replace(at, 7, "[stage.retrain.");
    out << "[stage.retrain]\n" << text;
  }

  size_t plan(const Pipeline& pipeline, size_t index,
              std::vector<PlannedStage>& plan) const override {
    const StageSpec& stage = pipeline.stages[index];
    if (pipeline.data_settings.val_split <= 0.0)
      throw ConfigError(pipeline.data.where("val_split"), "data.val_split",
                        "stage " + std::to_string(stage.index) +
                            " searches on the validation split, so it needs val_split > 0");
    PlannedStage planned{stage, 0, 0, 0};
    planned.stage.inner.at(0) = scale_train(stage.inner.at(0), pipeline.run_settings.epoch_scale);
    plan.push_back(std::move(planned));
    return 1;
  }

  void check(const StageSpec& stage, const Registry& registry) const override {
    registry.create<Pruner>(stage.component.name, stage.component.options);
    train_stage_kind().check(stage.inner.at(0), registry);
  }

  json run(const PlannedStage& planned, RunContext& run) const override;
};

json SearchStage::run(const PlannedStage& planned, RunContext& run) const {
  const StageSpec& stage = planned.stage;
  const Config& o = stage.options;
  const StageSpec& retrain = stage.inner.at(0);
  auto pruner = run.registry.create<Pruner>(stage.component.name, stage.component.options);
  const PruneMeasure measure = measure_named(o.get<std::string>("measure"));
  const bool cost_opt = o.get<std::string>("mode") == "cost_opt";
  const std::string where = "stage " + std::to_string(stage.index) + " (search)";
  SealedTest sealed(run);

  const double measured = run.evaluate_net(run.val, where + " reference").accuracy;
  const double reference =
      o.get<double>("reference_accuracy") > 0 ? o.get<double>("reference_accuracy") : measured;
  const double threshold = reference - o.get<double>("tolerance");
  const std::string tag = "stage" + std::to_string(stage.index);
  const fs::path dir = run.folder->checkpoints();
  const fs::path entry = dir / (tag + ".search-start.pt"), probe_file = dir / (tag + ".probe.pt"),
                 chosen = dir / (tag + ".search-best.pt");
  const std::vector<int64_t> entry_widths = run.net->widths();
  save_checkpoint(*run.net, run.checkpoint_meta(stage.index, 0, measured), entry);
  spdlog::info(
      "search ({}): reference validation accuracy {:.4f}, a level meets the target at "
      ">= {:.4f}; {}",
      stage.component.name, reference, threshold,
      cost_opt ? "cost_opt: the first level that meets it wins" : "memory_opt: to convergence");

  json probes = json::array();
  double search_seconds = 0.0, chosen_seconds = 0.0;
  int64_t retrain_epochs = 0, training_macs = 0;
  json chosen_prune;
  std::vector<int64_t> chosen_widths;
  const auto start = std::chrono::steady_clock::now();
  auto probe = [&](double level) {
    const auto probe_start = std::chrono::steady_clock::now();
    std::error_code missing;
    fs::remove(probe_file, missing);
    run.net = run.rebuild_net(entry_widths, entry, where);
    json pruned = prune_net(run, *pruner, stage, {measure, level},
                            run.seed + 131 * static_cast<uint64_t>(stage.index));
    run.weights_changed();
    TrainRequest request;
    request.stage = &retrain;
    request.label = fmt::format(" probe {:.0f}%", 100.0 * level);
    request.columns = {{"probe", level}};
    request.checkpoints = false;
    request.best_to = probe_file;
    const TrainOutcome outcome = train_net(run, request);
    const double seconds = seconds_since(probe_start);
    const int64_t epochs = outcome.record["epochs"].get<int64_t>();
    const int64_t macs = pruned["macs_after"].get<int64_t>() * 3 * run.train.size() * epochs;
    retrain_epochs += epochs;
    training_macs += macs;
    const bool met = outcome.best_val >= threshold;
    probes.push_back({{"level", level},
                      {"val_accuracy", outcome.best_val},
                      {"final_val_accuracy", outcome.final_val},
                      {"best_epoch", outcome.best_epoch},
                      {"met", met},
                      {"params", pruned["params_after"]},
                      {"macs", pruned["macs_after"]},
                      {"freed_fraction", pruned["freed_fraction"]},
                      {"bound_by", pruned["bound_by"]},
                      {"widths", pruned["widths_after"]},
                      {"retrain_epochs", epochs},
                      {"training_macs", macs},
                      {"seconds", seconds}});
    spdlog::info(
        "search probe {:.0f}%: validation accuracy {:.4f} ({} the target {:.4f}), {:.1f} s",
        100.0 * level, outcome.best_val, met ? "meets" : "misses", threshold, seconds);
    // Levels that meet the target only rise, so the latest is the best so far.
    if (met && fs::exists(probe_file)) {
      fs::rename(probe_file, chosen);
      chosen_seconds = seconds;
      chosen_prune = pruned;
      chosen_widths = run.net->widths();
    }
    return outcome.best_val;
  };
  LevelGrid grid{o.get<double>("lowest"), o.get<double>("highest"), o.get<double>("step"),
                 o.get<double>("start")};
  const LevelSearchResult result = search_level(grid, threshold, cost_opt, probe);
  search_seconds = seconds_since(start);

  std::error_code ec;
  if (result.best) {
    run.net = run.rebuild_net(chosen_widths, chosen, where);
    spdlog::info("search ({}): level {:.0f}% meets the target; {} probes, {:.1f} s",
                 stage.component.name, 100.0 * *result.best, probes.size(), search_seconds);
  } else {
    run.net = run.rebuild_net(entry_widths, entry, where);
    spdlog::warn(
        "search ({}): no level from {:.0f}% up meets the target {:.4f}; the net stays "
        "unpruned",
        stage.component.name, 100.0 * grid.lowest, threshold);
  }
  fs::remove(entry, ec);
  fs::remove(probe_file, ec);
  fs::remove(chosen, ec);
  json record = {{"pruner", stage.component.name},
                 {"measure", measure_name(measure)},
                 {"mode", cost_opt ? "cost_opt" : "memory_opt"},
                 {"reference_val_accuracy", reference},
                 {"threshold", threshold},
                 {"level", result.best ? json(*result.best) : json()},
                 {"probes", probes},
                 {"search_cost",
                  {{"probes", probes.size()},
                   {"retrain_epochs", retrain_epochs},
                   {"training_macs", training_macs},
                   {"seconds", search_seconds}}},
                 {"retrain_seconds", chosen_seconds},
                 {"decided_on", "validation"}};
  if (!chosen_prune.is_null()) record["pruned"] = chosen_prune;
  record["checkpoint"] = run.net_reshaped(stage.index, tag + ".pt");
  return record;
}

}  // namespace

const StageKind& search_stage_kind() {
  static const SearchStage kind;
  return kind;
}

}  // namespace gear::host
