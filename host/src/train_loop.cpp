#include "gear/host/train_loop.h"

#include <spdlog/spdlog.h>

#include "gear/host/optim.h"
#include "gear/host/progress.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_augmentation.h"
#include "gear/host/stage_objective.h"
#include "gear/host/train_options.h"

namespace gear::host {

namespace {

// The metrics.csv columns also written as TensorBoard scalars, step = epochs run so far.
constexpr std::pair<const char*, const char*> kEpochScalars[] = {
    {"train_loss", "train/loss"},
    {"train_accuracy", "train/accuracy"},
    {"val_loss", "val/loss"},
    {"val_accuracy", "val/accuracy"},
    {"lr", "train/learning_rate"},
    {"images_per_second", "train/images_per_second"},
    {"energy_joules", "energy/epoch_joules"}};

}  // namespace

using nlohmann::json;

TrainOutcome train_net(RunContext& run, const TrainRequest& request) {
  const StageSpec& stage = *request.stage;
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
  const int64_t device_views = objective->device_views();
  std::vector<std::string> device_names;
  if (device_views > 0) {
    if (!run.devices)
      o.fail("objective", "objective '" + stage.objective.name + "' trains on device views, but " +
                              "the pipeline has no device profiles: write [[device]] tables, or " +
                              "load the devices plugin (gear-devices) for the built-in bank");
    const std::vector<int64_t> chosen = run.devices->select(options.devices, o, "devices");
    for (int64_t k : chosen) device_names.push_back(run.devices->name(k));
    stream.add_device_views(run.devices.get(), chosen, device_views);
  }
  Progress progress(run.options.tty);
  const std::string where = "stage " + std::to_string(stage.index) + " (" + stage.kind + ")";
  const bool validate = run.val.size() > 0;
  TrainOutcome outcome;
  double image_seconds = 0.0;
  int64_t images = 0;
  PassStats train_stats, val_stats;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    // Segments of one pipeline stage continue its epoch count, so none repeats a shuffle.
    const int64_t stage_epoch = request.first_epoch + epoch;
    const std::optional<EnergyReading> epoch_start = run.energy_now();
    stream.start_epoch(run.seed * 1000003ULL + static_cast<uint64_t>(stage.index) * 1009ULL +
                       static_cast<uint64_t>(stage_epoch));
    progress.begin("stage " + std::to_string(stage.index) + request.label + " epoch " +
                       std::to_string(epoch + 1) + "/" + std::to_string(epochs),
                   stream.batches_per_epoch());
    train_stats = train_epoch(*run.net, stream, *optimizer, schedule, epoch, *objective, progress,
                              split_workers);
    progress.end();
    images += train_stats.samples;
    image_seconds += train_stats.seconds;
    if (validate) val_stats = run.evaluate_net(run.val, where + " validation");
    const double lr = schedule.at(static_cast<double>(epoch + 1) - 1e-9);
    // Without a validation split there is nothing to show (not zeros).
    const std::string val_text =
        validate ? fmt::format(" | val loss {:.4f} acc {:.4f}", val_stats.loss, val_stats.accuracy)
                 : "";
    std::string figures_text;
    for (const auto& [name, value] : train_stats.figures)
      figures_text += fmt::format(" {} {:.4f}", name, value);
    spdlog::info("stage {}{} epoch {}/{}: loss {:.4f} acc {:.4f}{}{} | {:.1f} s, {:.0f} img/s",
                 stage.index, request.label, epoch + 1, epochs, train_stats.loss,
                 train_stats.accuracy, figures_text, val_text, train_stats.seconds,
                 train_stats.images_per_second());
    json row = {{"stage", stage.index},
                {"kind", stage.kind},
                {"epoch", stage_epoch + 1},
                {"lr", lr},
                {"train_loss", train_stats.loss},
                {"train_accuracy", train_stats.accuracy},
                {"val_loss", validate ? json(val_stats.loss) : json()},
                {"val_accuracy", validate ? json(val_stats.accuracy) : json()},
                {"seconds", train_stats.seconds},
                {"images_per_second", train_stats.images_per_second()},
                {"params", run.net->params()}};
    for (const auto& [name, value] : train_stats.figures)
      row[stage.objective.name + "." + name] = value;
    for (const auto& [name, value] : request.columns.items()) row[name] = value;
    if (epoch_start)
      row["energy_joules"] =
          energy_between(*epoch_start, run.energy->read(), run.energy->info()).total_joules;
    run.folder->append_metrics(row);
    ++run.epochs_run;
    for (const auto& [column, tag] : kEpochScalars)
      if (row.contains(column) && row[column].is_number())
        run.scalar(tag, run.epochs_run, row[column].get<double>());
    const bool best = validate && val_stats.accuracy > outcome.best_val;
    if (best) {
      outcome.best_val = val_stats.accuracy;
      outcome.best_epoch = epoch + 1;
      if (!request.best_to.empty())
        save_checkpoint(*run.net,
                        run.checkpoint_meta(stage.index, stage_epoch + 1, val_stats.accuracy),
                        request.best_to);
    }
    if (options.checkpoint && request.checkpoints) {
      auto meta =
          run.checkpoint_meta(stage.index, stage_epoch + 1, validate ? val_stats.accuracy : -1.0);
      save_checkpoint(*run.net, meta, run.folder->checkpoints() / "last.pt");
      if (best) save_checkpoint(*run.net, meta, run.folder->checkpoints() / "best.pt");
    }
  }
  if (validate && epochs > 0) outcome.final_val = val_stats.accuracy;
  json& record = outcome.record;
  record = {{"augmentation", stage.augmentation.name.empty() ? "none" : stage.augmentation.name},
            {"objective", stage.objective.name},
            {"optimizer", options.optimizer},
            {"train_loss", train_stats.loss},
            {"train_accuracy", train_stats.accuracy},
            {"images_per_second", image_seconds > 0 ? images / image_seconds : 0.0},
            {"epochs", epochs}};
  if (!train_stats.figures.empty()) record["objective_figures"] = train_stats.figures;
  if (device_views > 0)
    record["device_views"] = {{"views", device_views}, {"devices", device_names}};
  if (validate && epochs > 0) {
    record["val_accuracy"] = val_stats.accuracy;
    record["best_val_accuracy"] = outcome.best_val;
  }
  return outcome;
}

}  // namespace gear::host
