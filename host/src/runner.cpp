#include "gear/host/runner.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <torch/utils.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "gear/host/batch_split_step.h"
#include "gear/host/checkpoint.h"
#include "gear/host/class_subset.h"
#include "gear/host/cpu_allocator.h"
#include "gear/host/data_stream.h"
#include "gear/host/device.h"
#include "gear/host/env_info.h"
#include "gear/host/evaluation.h"
#include "gear/host/growth_stage.h"
#include "gear/host/logging.h"
#include "gear/host/memory_format.h"
#include "gear/host/optim.h"
#include "gear/host/plugin_error.h"
#include "gear/host/progress.h"
#include "gear/host/run_folder.h"
#include "gear/host/stage_augmentation.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stopwatch.h"
#include "gear/host/trainer.h"

namespace gear::host {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

std::vector<int64_t> widths_from_summary(const Config& model) {
  const std::string file = model.get<std::string>("widths_from");
  std::ifstream in(file);
  if (!in) model.fail("widths_from", "cannot open '" + file + "'");
  json summary;
  try {
    summary = json::parse(in);
    return summary.at("final").at("widths").get<std::vector<int64_t>>();
  } catch (const std::exception& e) {
    model.fail("widths_from", "'" + file + "' has no final.widths list: " + e.what());
  }
}

// One run: holds the data, the model and the folder while the stages execute.
class Run {
 public:
  Run(const Pipeline& pipeline, const Registry& registry, const RunOptions& options)
      : pipeline_(pipeline), registry_(registry), options_(options) {}

  json execute();

 private:
  void prepare();
  void load_data();
  void build_model();
  void create_growth_strategies() const;
  json train_stage(const PlannedStage& planned);
  json evaluate_stage(const StageSpec& stage);
  json grow_stage(const PlannedStage& planned);
  json final_block();
  void write_reports(const std::string& status, const std::string& error = {});
  CheckpointMeta checkpoint_meta(int64_t stage, int64_t epoch, double val_accuracy) const;

  const Pipeline& pipeline_;
  const Registry& registry_;
  RunOptions options_;
  std::unique_ptr<RunFolder> folder_;
  torch::Device device_ = torch::kCPU;
  int threads_ = 1;
  bool prefetch_ = false;
  bool channels_last_ = false;
  int split_workers_ = 0;  // > 1: batch-split training (batch_split_step.h)
  uint64_t seed_ = 0;
  DatasetInfo info_;
  DeviceData train_, val_, test_;
  Normalizer normalizer_;
  std::shared_ptr<Architecture> architecture_;
  std::shared_ptr<GrowableNet> net_;
  int64_t reference_params_ = 0;
  json stages_ = json::array();
  json final_;
  json summary_;  // as last written to summary.json
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  // Results on the current weights, for the summary's `final` block; cleared when they change.
  std::optional<PassStats> last_test_;
  json last_suites_ = json::object();
  void weights_changed() {
    last_test_.reset();
    last_suites_ = json::object();
  }
};

void Run::prepare() {
  const Config& run = pipeline_.run;
  threads_ = static_cast<int>(run.get<int64_t>("threads"));
  if (threads_ == 0) threads_ = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads_);
  const std::string allocator = configure_cpu_allocator(run.get<std::string>("cpu_allocator"));
  seed_ = static_cast<uint64_t>(run.get<int64_t>("seed"));
  torch::manual_seed(seed_);
  device_ = resolve_device(run.get<std::string>("device"), run.where("device"));
  channels_last_ = use_channels_last(run.get<std::string>("memory_format"), device_);

  std::string name = run.get<std::string>("name");
  if (name.empty()) name = pipeline_.file.stem().string();
  fs::path root =
      options_.out ? *options_.out : RunFolder::unique_path(run.get<std::string>("out"), name);
  folder_ = std::make_unique<RunFolder>(root);
  add_log_file(root / "log.txt");
  spdlog::info("run folder {}", root.string());
  prefetch_ = use_prefetch(pipeline_.data.get<std::string>("prefetch"), device_, threads_);
  spdlog::info("device {}, {} thread(s), seed {}, batches prepared {}, {}", device_.str(), threads_,
               seed_, prefetch_ ? "on a background thread" : "in line",
               channels_last_ ? "channels-last" : "contiguous");
  spdlog::info(allocator);
  folder_->write_text("pipeline.resolved.toml", pipeline_.resolved_toml());
  folder_->write_json("env.json", environment(registry_, device_, threads_));
}

void Run::load_data() {
  const Config& data = pipeline_.data;
  auto dataset = registry_.create_dataset(pipeline_.dataset.name, pipeline_.dataset.options);
  const ComponentEntry* entry = registry_.find(pipeline_.dataset.name);
  DataSplit train, test;
  auto start = std::chrono::steady_clock::now();
  const auto classes = data.get<std::vector<std::string>>("classes");
  std::vector<ClassGroup> class_groups;
  call_plugin(pipeline_.dataset.name, entry->library, data.where("plugin").str(), [&] {
    info_ = dataset->info();
    // class_groups() exists only in the vtables of plugins built for SDK 0.3 or later.
    if (!classes.empty() && entry->sdk_minor >= 3) class_groups = dataset->class_groups();
  });
  ClassSubset subset;
  if (!classes.empty()) subset = resolve_class_subset(classes, info_, class_groups, data);
  call_plugin(pipeline_.dataset.name, entry->library, data.where("plugin").str(), [&] {
    train = dataset->load(SplitKind::kTrain);
    test = dataset->load(SplitKind::kTest);
  });
  if (!classes.empty()) {
    train = restrict_to_classes(train, subset, info_.num_classes);
    test = restrict_to_classes(test, subset, info_.num_classes);
    std::string names;
    for (const auto& n : subset.names) names += (names.empty() ? "" : ", ") + n;
    spdlog::info("classes: {} of {} ({})", subset.names.size(), info_.num_classes, names);
    info_.num_classes = static_cast<int64_t>(subset.names.size());
    info_.class_names = subset.names;
  }
  auto limit = [](DataSplit& split, int64_t n) {
    if (n > 0 && n < split.images.size(0)) {
      split.images = split.images.slice(0, 0, n);
      split.labels = split.labels.slice(0, 0, n);
    }
  };
  limit(train, data.get<int64_t>("limit_train"));
  limit(test, data.get<int64_t>("limit_test"));

  // Hold out a seeded random validation subset of the training images.
  const double val_split = data.get<double>("val_split");
  const auto val_count =
      static_cast<int64_t>(val_split * static_cast<double>(train.images.size(0)));
  torch::Tensor order =
      torch::randperm(train.images.size(0), make_generator(torch::kCPU, seed_ + 1), torch::kLong);
  auto take = [&](const DataSplit& split, const torch::Tensor& rows) {
    return DeviceData{split.images.index_select(0, rows).to(device_),
                      split.labels.index_select(0, rows).to(device_)};
  };
  val_ = take(train, order.slice(0, 0, val_count));
  train_ = take(train, order.slice(0, val_count));
  test_ = DeviceData{test.images.to(device_), test.labels.to(device_)};
  normalizer_ = Normalizer(info_.mean, info_.std, device_, channels_last_);
  spdlog::info("data {}: {} train, {} validation, {} test images of {} ({} classes), {:.1f} s",
               pipeline_.dataset.name, train_.size(), val_.size(), test_.size(),
               c10::str(torch::IntArrayRef(info_.image_shape)), info_.num_classes,
               seconds_since(start));
}

// Creates every grow stage's strategy once and drops it, so a strategy that cannot be created (a
// Python module that does not import, a bad constructor argument) stops the run before training
// rather than hours into it. The stages create their own when they start.
void Run::create_growth_strategies() const {
  for (const StageSpec& stage : pipeline_.stages)
    if (stage.kind == "grow")
      registry_.create_growth(stage.component.name, stage.component.options);
}

void Run::build_model() {
  const Config& model = pipeline_.model;
  architecture_ =
      registry_.create_architecture(pipeline_.architecture.name, pipeline_.architecture.options);
  ModelSpec spec;
  spec.input_shape = info_.image_shape;
  spec.num_classes = info_.num_classes;
  spec.width = model.get<double>("width");
  spec.widths = model.get<std::vector<int64_t>>("widths");
  if (!model.get<std::string>("widths_from").empty()) spec.widths = widths_from_summary(model);
  const ComponentEntry* entry = registry_.find(pipeline_.architecture.name);
  const std::string where = model.where("architecture").str();
  std::shared_ptr<GrowableNet> reference;
  call_plugin(pipeline_.architecture.name, entry->library, where, [&] {
    // The initial weights depend on the seed alone, not on what loading the data drew, so
    // gear.create_model(..., seed=run.seed) in Python builds the same net.
    torch::manual_seed(seed_);
    net_ = architecture_->build(spec);
    ModelSpec full = spec;
    full.widths = architecture_->reference_widths(spec);
    reference = architecture_->build(full);
  });
  reference_params_ = reference->params();
  net_->to(device_);
  if (channels_last_) {
    const std::string hazard = channels_last_hazard(*net_);
    if (!hazard.empty()) pipeline_.run.fail("memory_format", hazard);
  }
  apply_memory_format(*net_, channels_last_);
  std::string refusal;
  split_workers_ = batch_split_workers(pipeline_.run.get<std::string>("cpu_parallelism"), device_,
                                       threads_, batch_splittable(*net_), &refusal);
  if (!refusal.empty())
    pipeline_.run.fail("cpu_parallelism",
                       "architecture " + pipeline_.architecture.name + ": " + refusal);
  if (split_workers_ > 1)
    spdlog::info("CPU parallelism: each batch split over {} workers, one thread each",
                 split_workers_);
  spdlog::info("model {}: widths {}, {} params ({:.2f}% of full size), {:.2f} M MACs",
               pipeline_.architecture.name, c10::str(torch::IntArrayRef(net_->widths())),
               net_->params(), 100.0 * net_->params() / reference_params_,
               net_->macs(info_.image_shape) / 1e6);
}

CheckpointMeta Run::checkpoint_meta(int64_t stage, int64_t epoch, double val_accuracy) const {
  return {pipeline_.architecture.name,
          info_.image_shape,
          info_.num_classes,
          net_->group_names(),
          net_->widths(),
          stage,
          epoch,
          val_accuracy};
}

json Run::train_stage(const PlannedStage& planned) {
  const StageSpec& stage = planned.stage;
  const Config& o = stage.options;
  const int64_t epochs = o.get<int64_t>("epochs");
  if (epochs > 0) weights_changed();
  std::shared_ptr<Augmentation> augmentation = stage_augmentation(stage, registry_);
  // Parameters may have changed shape in an earlier stage: a fresh optimizer every stage.
  auto optimizer = make_optimizer(o, net_->parameters());
  LrSchedule schedule(o, epochs);
  BatchStream stream(train_, pipeline_.data.get<int64_t>("batch_size"), augmentation.get(),
                     normalizer_, prefetch_);
  Progress progress(options_.tty);
  const int64_t eval_batch = pipeline_.data.get<int64_t>("eval_batch_size");
  const double smoothing = o.get<double>("label_smoothing");
  double best_val = -1.0, image_seconds = 0.0;
  int64_t images = 0;
  PassStats train_stats, val_stats;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    // Segments of one pipeline stage continue its epoch count, so none repeats a shuffle.
    const int64_t stage_epoch = planned.first_epoch + epoch;
    stream.start_epoch(seed_ * 1000003ULL + static_cast<uint64_t>(stage.index) * 1009ULL +
                       static_cast<uint64_t>(stage_epoch));
    const std::string segment = planned.steps > 1 ? " segment " + std::to_string(planned.step) +
                                                        "/" + std::to_string(planned.steps)
                                                  : "";
    progress.begin("stage " + std::to_string(stage.index) + segment + " epoch " +
                       std::to_string(epoch + 1) + "/" + std::to_string(epochs),
                   stream.batches_per_epoch());
    train_stats = train_epoch(*net_, stream, *optimizer, schedule, epoch, smoothing, progress,
                              split_workers_);
    progress.end();
    images += train_stats.samples;
    image_seconds += train_stats.seconds;
    if (val_.size() > 0) val_stats = evaluate(*net_, val_, eval_batch, normalizer_);
    const double lr = schedule.at(static_cast<double>(epoch + 1) - 1e-9);
    // Without a validation split there is nothing to show (not zeros).
    const std::string val_text = val_.size() > 0 ? fmt::format(" | val loss {:.4f} acc {:.4f}",
                                                               val_stats.loss, val_stats.accuracy)
                                                 : "";
    spdlog::info("stage {}{} epoch {}/{}: loss {:.4f} acc {:.4f}{} | {:.1f} s, {:.0f} img/s",
                 stage.index, segment, epoch + 1, epochs, train_stats.loss, train_stats.accuracy,
                 val_text, train_stats.seconds, train_stats.images_per_second());
    folder_->append_metrics({{"stage", stage.index},
                             {"kind", stage.kind},
                             {"epoch", stage_epoch + 1},
                             {"lr", lr},
                             {"train_loss", train_stats.loss},
                             {"train_accuracy", train_stats.accuracy},
                             {"val_loss", val_.size() ? json(val_stats.loss) : json()},
                             {"val_accuracy", val_.size() ? json(val_stats.accuracy) : json()},
                             {"seconds", train_stats.seconds},
                             {"images_per_second", train_stats.images_per_second()},
                             {"params", net_->params()}});
    const bool best = val_.size() > 0 && val_stats.accuracy > best_val;
    if (best) best_val = val_stats.accuracy;
    if (o.get<bool>("checkpoint")) {
      auto meta =
          checkpoint_meta(stage.index, stage_epoch + 1, val_.size() ? val_stats.accuracy : -1.0);
      save_checkpoint(*net_, meta, folder_->checkpoints() / "last.pt");
      if (best) save_checkpoint(*net_, meta, folder_->checkpoints() / "best.pt");
    }
  }
  json record = {
      {"augmentation", stage.augmentation.name.empty() ? "none" : stage.augmentation.name},
      {"optimizer", o.get<std::string>("optimizer")},
      {"train_loss", train_stats.loss},
      {"train_accuracy", train_stats.accuracy},
      {"images_per_second", image_seconds > 0 ? images / image_seconds : 0.0}};
  if (val_.size() > 0 && epochs > 0) {
    record["val_accuracy"] = val_stats.accuracy;
    record["best_val_accuracy"] = best_val;
  }
  return record;
}

json Run::evaluate_stage(const StageSpec& stage) {
  const bool on_val = stage.options.get<std::string>("split") == "val";
  const DeviceData& data = on_val ? val_ : test_;
  const int64_t eval_batch = pipeline_.data.get<int64_t>("eval_batch_size");
  const auto suites = stage.options.get<std::vector<std::string>>("suites");
  json record = {{"split", on_val ? "val" : "test"}, {"suites", suites}};
  if (std::find(suites.begin(), suites.end(), "clean") != suites.end()) {
    PassStats stats = evaluate(*net_, data, eval_batch, normalizer_);
    if (!on_val) last_test_ = stats;
    spdlog::info("stage {} evaluate ({}): accuracy {:.4f}, loss {:.4f} on {} images", stage.index,
                 on_val ? "val" : "test", stats.accuracy, stats.loss, stats.samples);
    record["clean_accuracy"] = stats.accuracy;
    record["loss"] = stats.loss;
    record["images"] = stats.samples;
  }
  EvaluationInputs inputs{net_.get(),
                          &data,
                          normalizer_,
                          eval_batch,
                          seed_ + 7919 * static_cast<uint64_t>(stage.index + 1),
                          pipeline_.dataset.name};
  for (const ComponentRef& evaluator : stage.evaluators) {
    json outcome = run_evaluator(evaluator, stage, registry_, inputs);
    for (const auto& [key, value] : outcome.at("metrics").items()) record[key] = value;
    record[evaluator.name] = outcome.at("details");
    record[evaluator.name + "_seconds"] = outcome.at("seconds");
    if (!on_val) {
      for (const auto& [key, value] : outcome.at("metrics").items()) last_suites_[key] = value;
      last_suites_[evaluator.name] = outcome.at("details");
    }
    std::string headline;
    for (const auto& [key, value] : outcome.at("metrics").items())
      headline += " " + key + " " + fmt::format("{:.4f}", value.get<double>());
    spdlog::info("stage {} evaluate ({}): {}{} ({:.1f} s)", stage.index, evaluator.name,
                 on_val ? "val" : "test", headline, outcome.at("seconds").get<double>());
  }
  return record;
}

json Run::grow_stage(const PlannedStage& planned) {
  const StageSpec& stage = planned.stage;
  GrowthInputs inputs;
  inputs.net = net_.get();
  inputs.train = &train_;
  const std::shared_ptr<Augmentation> augmentation = stage_augmentation(stage, registry_);
  inputs.augmentation = augmentation.get();
  inputs.normalizer = normalizer_;
  inputs.batch_size = pipeline_.data.get<int64_t>("batch_size");
  inputs.prefetch = prefetch_;
  inputs.seed = seed_ + 31 * static_cast<uint64_t>(stage.index) +
                1000003ULL * static_cast<uint64_t>(std::max<int64_t>(0, planned.step - 1));
  inputs.budget = pipeline_.budget.budget;
  inputs.budget_written = pipeline_.budget.json();
  inputs.sample_shape = info_.image_shape;
  inputs.reference_params = reference_params_;
  inputs.step = planned.step;
  inputs.steps = planned.steps;
  json record = run_growth(stage, registry_, inputs);
  apply_memory_format(*net_, channels_last_);  // surgery made new tensors
  net_->to(device_);
  weights_changed();
  return record;
}

json Run::final_block() {
  if (!last_test_)
    last_test_ =
        evaluate(*net_, test_, pipeline_.data.get<int64_t>("eval_batch_size"), normalizer_);
  const auto widths = net_->widths();
  json block = {{"clean_accuracy", last_test_->accuracy},
                {"test_loss", last_test_->loss},
                {"test_images", last_test_->samples},
                {"params", net_->params()},
                {"reference_params", reference_params_},
                {"size_percent", 100.0 * net_->params() / reference_params_},
                {"macs", net_->macs(info_.image_shape)},
                {"widths", widths},
                {"groups", net_->group_names()}};
  // Evaluator results on the final weights: robust_accuracy, per-corruption tables, ...
  for (const auto& [key, value] : last_suites_.items()) block[key] = value;
  return block;
}

void Run::write_reports(const std::string& status, const std::string& error) {
  if (!folder_) return;
  folder_->write_json("stages.json", stages_);
  json summary = {{"name", pipeline_.run.get<std::string>("name").empty()
                               ? pipeline_.file.stem().string()
                               : pipeline_.run.get<std::string>("name")},
                  {"pipeline", pipeline_.file.string()},
                  {"run_dir", folder_->root().string()},
                  {"status", status},
                  {"device", device_.str()},
                  {"threads", threads_},
                  {"cpu_parallelism", split_workers_ > 1 ? "batch_split" : "intra_op"},
                  {"seed", seed_},
                  {"dataset", pipeline_.dataset.name},
                  {"classes", info_.class_names},
                  {"architecture", pipeline_.architecture.name},
                  {"wall_seconds", seconds_since(start_)},
                  {"epoch_scale", pipeline_.run.get<double>("epoch_scale")},
                  {"budget", pipeline_.budget.json()},
                  {"stages", stages_}};
  if (!final_.is_null()) summary["final"] = final_;
  if (!error.empty()) summary["error"] = error;
  folder_->write_json("summary.json", summary);
  summary_ = std::move(summary);
}

json Run::execute() {
  try {
    prepare();
    write_reports("running");
    create_growth_strategies();
    load_data();
    build_model();
    // The weights the run starts from: for reproducing it, and for comparing against them.
    save_checkpoint(*net_, checkpoint_meta(0, 0, -1.0), folder_->checkpoints() / "initial.pt");
    for (const PlannedStage& planned : plan_stages(pipeline_)) {
      const StageSpec& stage = planned.stage;
      auto start = std::chrono::steady_clock::now();
      const std::string step = planned.steps > 1 ? " step " + std::to_string(planned.step) + "/" +
                                                       std::to_string(planned.steps)
                                                 : "";
      spdlog::info("stage {} ({}{}){} starts", stage.index, stage.kind,
                   stage.component.name.empty() ? "" : ": " + stage.component.name, step);
      json record;
      if (stage.kind == "train")
        record = train_stage(planned);
      else if (stage.kind == "grow")
        record = grow_stage(planned);
      else
        record = evaluate_stage(stage);
      record["index"] = stage.index;
      if (planned.steps > 1) {
        record["step"] = planned.step;
        record["steps"] = planned.steps;
      }
      record["kind"] = stage.kind;
      record["name"] = stage.options.get<std::string>("name");
      // Training epochs actually run; a grow stage's "epochs" is the strategy's own option.
      record["epochs"] = stage.kind == "train" ? stage.options.get<int64_t>("epochs") : 0;
      record["wall_seconds"] = seconds_since(start);
      record["params"] = net_->params();
      record["macs"] = net_->macs(info_.image_shape);
      record["widths"] = net_->widths();
      record["peak_rss_bytes"] = peak_rss_bytes();
      stages_.push_back(record);
      write_reports("running");
    }
    final_ = final_block();
    write_reports("completed");
    spdlog::info("done: test accuracy {:.4f}, {} params ({:.2f}% of full size), {:.1f} s",
                 final_["clean_accuracy"].get<double>(), final_["params"].get<int64_t>(),
                 final_["size_percent"].get<double>(), seconds_since(start_));
  } catch (const std::exception& e) {
    try {
      write_reports("failed", e.what());
    } catch (const std::exception& report_error) {
      // The original error matters more; say why the folder could not record it.
      spdlog::error("could not write the failed run's summary: {}", report_error.what());
    }
    remove_log_files();
    throw;
  }
  remove_log_files();
  return summary_;
}

}  // namespace

json run_pipeline(const Pipeline& pipeline, const Registry& registry, const RunOptions& options) {
  Run run(pipeline, registry, options);
  return run.execute();
}

}  // namespace gear::host
