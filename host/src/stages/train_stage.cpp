// kind = "train": trains the net for some epochs with an optimizer, a schedule, an
// augmentation and an objective, checkpointing every epoch.
#include <spdlog/spdlog.h>

#include "gear/host/optim.h"
#include "gear/host/progress.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_augmentation.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_objective.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"
#include "gear/host/toml_config.h"
#include "gear/host/train_options.h"

namespace gear::host {
namespace {

using nlohmann::json;

class TrainStage final : public StageKind {
 public:
  std::string name() const override { return "train"; }
  std::string doc() const override {
    return "trains the net: optimizer, learning-rate schedule, augmentation and objective";
  }

  OptionSchema schema() const override {
    return common_stage_schema()
        .merge(train_options_binder().schema())
        .add_string("augmentation", "none", "augmentation plugin, or a table {name = ..., ...}")
        .add_string("objective", kAutoObjective,
                    "objective plugin (the loss), or a table {name = ..., ...}; auto: jsd for "
                    "batches whose augmentation asks for consistency (augmix, era), "
                    "cross_entropy otherwise, with the options of both");
  }

  std::string describe_note() const override {
    return "augmentation and objective name plugins; their options go in a table: objective = "
           "{ name = \"cross_entropy\", label_smoothing = 0.1 }";
  }

  void read(const toml::table& table, const StageReadContext& context,
            StageSpec& stage) const override {
    if (const toml::node* old = table.get("label_smoothing"))
      throw ConfigError(position_of(*old, context.file), context.path + ".label_smoothing",
                        "label_smoothing is an option of the objective: objective = { name = "
                        "\"auto\", label_smoothing = ... }");
    stage.options = config_from_table(table, context.path, schema(), context.file,
                                      {"augmentation", "objective"});
    stage.augmentation =
        read_component_choice(table, context.path, {"augmentation", "augmentation", "none", "none"},
                              context.registry, context.file, stage.options);
    stage.objective = read_stage_objective(table, context, stage.options);
  }

  void write_resolved(const StageSpec& stage, std::ostream& out) const override {
    std::vector<std::string> tables;
    if (!stage.augmentation.name.empty()) tables.push_back("augmentation");
    tables.push_back("objective");
    write_config(out, stage.options, tables);
    write_component_table(out, "stage.augmentation", stage.augmentation);
    write_component_table(out, "stage.objective", stage.objective);
  }

  size_t plan(const Pipeline& pipeline, size_t index,
              std::vector<PlannedStage>& plan) const override {
    plan.push_back(
        {scale_train(pipeline.stages[index], pipeline.run_settings.epoch_scale), 0, 0, 0});
    return 1;
  }

  void check(const StageSpec& stage, const Registry& registry) const override {
    stage_objective(stage, registry);
  }

  json run(const PlannedStage& planned, RunContext& run) const override;
};

json TrainStage::run(const PlannedStage& planned, RunContext& run) const {
  const StageSpec& stage = planned.stage;
  const Config& o = stage.options;
  const TrainOptions options = train_options_binder().read(o);
  const int64_t epochs = options.epochs;
  if (epochs > 0) run.weights_changed();
  std::shared_ptr<Augmentation> augmentation = stage_augmentation(stage, run.registry);
  std::shared_ptr<Objective> objective =
      stage_objective(stage, run.registry, run.pipeline.architecture.name);
  const int split_workers = objective->supports_batch_split() ? run.split_workers : 0;
  if (run.split_workers > 1 && split_workers == 0)
    spdlog::info("stage {}: objective {} trains whole batches (it does not support batch split)",
                 stage.index, stage.objective.name);
  // Parameters may have changed shape in an earlier stage: a fresh optimizer every stage.
  auto optimizer = make_optimizer(o, run.net->parameters());
  LrSchedule schedule(o, epochs);
  BatchStream stream(run.train, run.pipeline.data_settings.batch_size, augmentation.get(),
                     run.normalizer, run.prefetch);
  Progress progress(run.options.tty);
  const std::string where = "stage " + std::to_string(stage.index) + " (train)";
  double best_val = -1.0, image_seconds = 0.0;
  int64_t images = 0;
  PassStats train_stats, val_stats;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    // Segments of one pipeline stage continue its epoch count, so none repeats a shuffle.
    const int64_t stage_epoch = planned.first_epoch + epoch;
    stream.start_epoch(run.seed * 1000003ULL + static_cast<uint64_t>(stage.index) * 1009ULL +
                       static_cast<uint64_t>(stage_epoch));
    const std::string segment = planned.steps > 1 ? " segment " + std::to_string(planned.step) +
                                                        "/" + std::to_string(planned.steps)
                                                  : "";
    progress.begin("stage " + std::to_string(stage.index) + segment + " epoch " +
                       std::to_string(epoch + 1) + "/" + std::to_string(epochs),
                   stream.batches_per_epoch());
    train_stats = train_epoch(*run.net, stream, *optimizer, schedule, epoch, *objective, progress,
                              split_workers);
    progress.end();
    images += train_stats.samples;
    image_seconds += train_stats.seconds;
    if (run.val.size() > 0) val_stats = run.evaluate_net(run.val, where + " validation");
    const double lr = schedule.at(static_cast<double>(epoch + 1) - 1e-9);
    // Without a validation split there is nothing to show (not zeros).
    const std::string val_text =
        run.val.size() > 0
            ? fmt::format(" | val loss {:.4f} acc {:.4f}", val_stats.loss, val_stats.accuracy)
            : "";
    std::string figures_text;
    for (const auto& [name, value] : train_stats.figures)
      figures_text += fmt::format(" {} {:.4f}", name, value);
    spdlog::info("stage {}{} epoch {}/{}: loss {:.4f} acc {:.4f}{}{} | {:.1f} s, {:.0f} img/s",
                 stage.index, segment, epoch + 1, epochs, train_stats.loss, train_stats.accuracy,
                 figures_text, val_text, train_stats.seconds, train_stats.images_per_second());
    json row = {{"stage", stage.index},
                {"kind", stage.kind},
                {"epoch", stage_epoch + 1},
                {"lr", lr},
                {"train_loss", train_stats.loss},
                {"train_accuracy", train_stats.accuracy},
                {"val_loss", run.val.size() ? json(val_stats.loss) : json()},
                {"val_accuracy", run.val.size() ? json(val_stats.accuracy) : json()},
                {"seconds", train_stats.seconds},
                {"images_per_second", train_stats.images_per_second()},
                {"params", run.net->params()}};
    for (const auto& [name, value] : train_stats.figures)
      row[stage.objective.name + "." + name] = value;
    run.folder->append_metrics(row);
    const bool best = run.val.size() > 0 && val_stats.accuracy > best_val;
    if (best) best_val = val_stats.accuracy;
    if (options.checkpoint) {
      auto meta = run.checkpoint_meta(stage.index, stage_epoch + 1,
                                      run.val.size() ? val_stats.accuracy : -1.0);
      save_checkpoint(*run.net, meta, run.folder->checkpoints() / "last.pt");
      if (best) save_checkpoint(*run.net, meta, run.folder->checkpoints() / "best.pt");
    }
  }
  json record = {
      {"augmentation", stage.augmentation.name.empty() ? "none" : stage.augmentation.name},
      {"objective", stage.objective.name},
      {"optimizer", options.optimizer},
      {"train_loss", train_stats.loss},
      {"train_accuracy", train_stats.accuracy},
      {"images_per_second", image_seconds > 0 ? images / image_seconds : 0.0},
      {"epochs", epochs}};
  if (!train_stats.figures.empty()) record["objective_figures"] = train_stats.figures;
  if (run.val.size() > 0 && epochs > 0) {
    record["val_accuracy"] = val_stats.accuracy;
    record["best_val_accuracy"] = best_val;
  }
  return record;
}

}  // namespace

const StageKind& train_stage_kind() {
  static const TrainStage kind;
  return kind;
}

}  // namespace gear::host
