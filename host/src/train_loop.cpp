#include "gear/host/train_loop.h"

#include <spdlog/spdlog.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <csignal>
#include <sstream>

#include "gear/host/checkpoint_policy.h"
#include "gear/host/distributed/run_distributed.h"
#include "gear/host/distributed/world.h"
#include "gear/host/optim.h"
#include "gear/host/progress.h"
#include "gear/host/run_context.h"
#include "gear/host/run_signals.h"
#include "gear/host/stage_augmentation.h"
#include "gear/host/stage_objective.h"
#include "gear/host/stopwatch.h"
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

using nlohmann::json;

// The optimizer's state (momentum buffers, Adam's moments and step counts) as bytes.
torch::Tensor optimizer_state(torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  const std::string text = bytes.str();
  return torch::tensor(
      torch::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
      torch::kUInt8);
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const torch::Tensor& bytes,
                          const torch::Device& device) {
  const torch::Tensor data = bytes.contiguous().cpu();
  torch::serialize::InputArchive archive;
  archive.load_from(reinterpret_cast<const char*>(data.data_ptr<uint8_t>()),
                    static_cast<size_t>(data.numel()), device);
  optimizer.load(archive);
}

}  // namespace

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
  World* world = current_world();
  if (world) stream.shard(world->rank(), world->size());
  // fp16's loss scale carries across the stage's epochs (and its resume points).
  std::optional<GradScaler> scaler;
  if (run.precision == Precision::kFp16) scaler.emplace();
  const StepPrecision step_precision{run.precision, scaler ? &*scaler : nullptr};
  const std::string generator_key =
      world ? "generator.rank" + std::to_string(world->rank()) : std::string("generator");
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
  const RunSettings& settings = run.pipeline.run_settings;
  const CheckpointPolicy policy = parse_checkpoint_policy(settings.checkpoint_every);
  const bool resumable = request.resumable && run.save_resume_point;
  std::optional<TrainingInProgress> training;
  if (resumable) training.emplace();
  TrainOutcome outcome;
  double image_seconds = 0.0;
  int64_t images = 0;
  PassStats train_stats, val_stats;
  int64_t first_epoch = 0;
  EpochCursor cursor;
  // Continuing a resumed run inside this stage: everything the loop carries, as it was.
  if (resumable && run.resume_train) {
    const RunContext::TrainState resumed = std::move(*run.resume_train);
    run.resume_train.reset();
    const json& j = resumed.json;
    first_epoch = j.at("epoch").get<int64_t>();
    image_seconds = j.at("image_seconds").get<double>();
    images = j.at("images").get<int64_t>();
    outcome.best_val = j.at("best_val").get<double>();
    outcome.best_epoch = j.at("best_epoch").get<int64_t>();
    train_stats = pass_stats_from_json(j.at("train_stats"));
    val_stats = pass_stats_from_json(j.at("val_stats"));
    load_optimizer_state(*optimizer, resumed.tensors.at("optimizer"), run.device);
    if (scaler && resumed.tensors.count("grad_scaler"))
      scaler->load_state(resumed.tensors.at("grad_scaler"));
    cursor.step = j.at("step").get<int64_t>();
    const int64_t ranks = j.value("ranks", int64_t{1});
    if (cursor.step > 0 && ranks != (world ? world->size() : 1))
      throw std::invalid_argument(
          "cannot resume " + where + request.label + " inside epoch " +
          std::to_string(first_epoch + 1) + ": it was stopped with " + std::to_string(ranks) +
          " rank(s), and each rank's share of the epoch is its own; resume with --nproc " +
          std::to_string(ranks) + " (a resume point at an epoch's end takes any number)");
    if (cursor.step > 0) {
      cursor.samples = j.at("samples").get<int64_t>();
      cursor.seconds = j.at("seconds").get<double>();
      cursor.loss_sum = resumed.tensors.at("loss_sum").to(run.device);
      cursor.correct_sum = resumed.tensors.at("correct_sum").to(run.device);
      cursor.generator_state = resumed.tensors.at(generator_key);
      for (const auto& [name, tensor] : resumed.tensors)
        if (name.rfind("figure.", 0) == 0)
          cursor.figure_sums[name.substr(7)] = tensor.to(run.device);
    }
    spdlog::info("stage {}{}: resuming at epoch {}, step {}", stage.index, request.label,
                 first_epoch + 1, cursor.step);
  }
  // A resume point: the epoch in progress (`epoch`, 0-based) and the cursor within it.
  // (save_resume_point refuses weights that are not finite.)
  auto save_point = [&](int64_t epoch) {
    RunContext::TrainState state;
    state.json = {{"epoch", epoch},
                  {"step", cursor.step},
                  {"samples", cursor.samples},
                  {"seconds", cursor.seconds},
                  {"image_seconds", image_seconds},
                  {"images", images},
                  {"best_val", outcome.best_val},
                  {"best_epoch", outcome.best_epoch},
                  {"train_stats", to_json(train_stats)},
                  {"val_stats", to_json(val_stats)},
                  {"ranks", world ? world->size() : 1}};
    state.tensors["optimizer"] = optimizer_state(*optimizer);
    if (scaler) state.tensors["grad_scaler"] = scaler->state();
    if (cursor.step > 0) {
      state.tensors["loss_sum"] = cursor.loss_sum.cpu();
      state.tensors["correct_sum"] = cursor.correct_sum.cpu();
      if (world) {
        // Each rank draws its own augmentation stream: rank 0's point keeps every rank's.
        const torch::Tensor all = world->all_gather(cursor.generator_state.cpu());
        for (int r = 0; r < world->size(); ++r)
          state.tensors["generator.rank" + std::to_string(r)] = all[r].clone();
      } else {
        state.tensors["generator"] = cursor.generator_state.cpu();
      }
      for (const auto& [name, sum] : cursor.figure_sums)
        state.tensors["figure." + name] = sum.cpu();
    }
    run.save_resume_point(state);
  };
  auto last_point = std::chrono::steady_clock::now();
  auto stop_here = [&](int64_t epoch, int signal) {
    throw Interrupted(signal, where + request.label + ": stopped by " +
                                  (signal == SIGINT ? "SIGINT" : "SIGTERM") + " with " +
                                  std::to_string(epoch) + " epoch(s) and " +
                                  std::to_string(cursor.step) + " step(s) done");
  };
  for (int64_t epoch = first_epoch; epoch < epochs; ++epoch) {
    // Segments of one pipeline stage continue its epoch count, so none repeats a shuffle.
    const int64_t stage_epoch = request.first_epoch + epoch;
    const std::optional<EnergyReading> epoch_start = run.energy_now();
    const uint64_t seed = run.seed * 1000003ULL + static_cast<uint64_t>(stage.index) * 1009ULL +
                          static_cast<uint64_t>(stage_epoch);
    if (cursor.step > 0)
      stream.resume_epoch(seed, cursor.step, cursor.generator_state);
    else
      stream.start_epoch(seed);
    progress.begin("stage " + std::to_string(stage.index) + request.label + " epoch " +
                       std::to_string(epoch + 1) + "/" + std::to_string(epochs),
                   stream.batches_per_epoch());
    // Paused for a time-based resume point or a stop signal, then continued (or stopped).
    const PauseCheck pause = [&](int64_t) {
      return resumable && (stop_signal() != 0 || policy.due_after(seconds_since(last_point)));
    };
    const std::map<std::string, World::Traffic> traffic_before =
        world ? world->traffic() : std::map<std::string, World::Traffic>{};
    for (;;) {
      try {
        train_stats = train_epoch(*run.net, stream, *optimizer, schedule, epoch, *objective,
                                  progress, split_workers, cursor, pause, step_precision);
      } catch (const NonFiniteLoss& e) {
        throw std::runtime_error(where + request.label + " epoch " + std::to_string(epoch + 1) +
                                 " step " + std::to_string(e.step()) + ": " + e.what() +
                                 "; the weights before it are the last resume point's "
                                 "(checkpoints/resume.pt)");
      }
      if (!cursor.paused) break;
      save_point(epoch);
      last_point = std::chrono::steady_clock::now();
      if (const int signal = agreed_stop_signal(world)) stop_here(epoch, signal);
    }
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
    // Data parallelism: per step, the time this rank waited for the other ranks' gradients
    // (after backward) and batch statistics, and the gradient bytes each step all-reduces.
    if (world) {
      const auto after = world->traffic();
      const double steps = std::max<int64_t>(1, stream.batches_per_epoch());
      for (const char* kind : {"gradients", "statistics"}) {
        const auto now = after.count(kind) ? after.at(kind) : World::Traffic{};
        const auto then = traffic_before.count(kind) ? traffic_before.at(kind) : World::Traffic{};
        row[std::string(kind) + "_wait_ms_per_step"] = 1e3 * (now.seconds - then.seconds) / steps;
        if (std::string(kind) == "gradients")
          row["gradient_bytes_per_step"] = (now.bytes - then.bytes) / steps;
      }
    }
    if (epoch_start)
      row["energy_joules"] =
          energy_between(*epoch_start, run.energy->read(), run.energy->info()).total_joules;
    run.folder->append_metrics(row);
    ++run.epochs_run;
    for (const auto& [column, tag] : kEpochScalars)
      if (row.contains(column) && row[column].is_number())
        run.scalar(tag, run.epochs_run, row[column].get<double>());
    cursor = EpochCursor();
    const bool best = validate && val_stats.accuracy > outcome.best_val;
    if (best) {
      outcome.best_val = val_stats.accuracy;
      outcome.best_epoch = epoch + 1;
    }
    // The stage's last epoch needs none: the runner records one at the stage's end.
    const bool local_due = resumable && epoch + 1 < epochs &&
                           (policy.due_after_epoch(epoch + 1) ||
                            policy.due_after(seconds_since(last_point)) || stop_signal() != 0);
    const bool point_due = world ? world->any(local_due, "agreeing on a resume point") : local_due;
    const bool kept = settings.keep_every > 0 && (epoch + 1) % settings.keep_every == 0;
    if (best || point_due || kept)
      if (const std::string bad = first_non_finite_parameter(*run.net); !bad.empty())
        throw std::runtime_error(where + request.label + " epoch " + std::to_string(epoch + 1) +
                                 ": parameter " + bad +
                                 " is not finite; no checkpoint of it was written");
    const CheckpointMeta meta =
        run.checkpoint_meta(stage.index, stage_epoch + 1, validate ? val_stats.accuracy : -1.0);
    if (best && !request.best_to.empty()) save_checkpoint(*run.net, meta, request.best_to);
    if (options.checkpoint && request.checkpoints) {
      if (point_due || !resumable || epoch + 1 == epochs)
        save_checkpoint(*run.net, meta, run.folder->checkpoints() / "last.pt");
      if (best) save_checkpoint(*run.net, meta, run.folder->checkpoints() / "best.pt");
      if (kept)
        save_checkpoint(
            *run.net, meta,
            run.folder->checkpoints() / ("stage" + std::to_string(stage.index) + "-epoch" +
                                         std::to_string(stage_epoch + 1) + ".pt"));
    }
    if (point_due) {
      save_point(epoch + 1);
      last_point = std::chrono::steady_clock::now();
      if (const int signal = agreed_stop_signal(world)) stop_here(epoch + 1, signal);
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
