#include "gear/host/runner.h"

#include <spdlog/spdlog.h>
#include <torch/utils.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <thread>

#include "gear/conv.h"
#include "gear/host/batch_split_step.h"
#include "gear/host/checkpoint.h"
#include "gear/host/class_subset.h"
#include "gear/host/cost_report.h"
#include "gear/host/cpu_allocator.h"
#include "gear/host/device.h"
#include "gear/host/distributed/run_distributed.h"
#include "gear/host/distributed/world.h"
#include "gear/host/env_info.h"
#include "gear/host/logging.h"
#include "gear/host/memory_format.h"
#include "gear/host/plugin_error.h"
#include "gear/host/run_context.h"
#include "gear/host/run_point.h"
#include "gear/host/run_signals.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_memory.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stopwatch.h"
#include "gear/report/tensorboard_events.h"

namespace gear::host {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<int64_t> widths_from_summary(const Config& model, const std::string& file) {
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

// One run: prepares the data, the model and the folder, then hands the run's state to each
// stage kind in turn (stage_kind.h) and keeps the reports current.
class Run {
 public:
  Run(const Pipeline& pipeline, const Registry& registry, const RunOptions& options)
      : run_(pipeline, registry, options) {}

  json execute();

 private:
  void prepare();
  void load_data();
  void build_model();
  json final_block();
  json meter_record() const;
  json latency();
  void measure_stage(json& record, const std::optional<EnergyReading>& energy_start,
                     const std::optional<EnergyReading>& energy_end, const PeakMemory& peak);
  CostSetup cost_setup() const;
  void write_reports(const std::string& status, const std::string& error = {});

  void save_point(size_t next_stage, const RunContext::TrainState* train);
  void resume_from_point();
  double joules_so_far() const;

  RunContext run_;
  RunProgress progress_;
  json final_;
  json summary_;  // as last written to summary.json
  std::filesystem::path pipeline_file_ = run_.pipeline.file;  // the one the run started from
  bool created_folder_ = false;
  bool stage_started_ = false;
  std::optional<EnergyReading> run_start_energy_;
  // The planned stage running now, and the first to run (past those a resumed run finished).
  size_t current_stage_ = 0, next_stage_ = 0;
  std::chrono::steady_clock::time_point stage_start_;
  std::optional<EnergyReading> stage_energy_start_;
  // A stage resumed inside: its time and energy before the resume point.
  double stage_seconds_before_ = 0.0, stage_joules_before_ = 0.0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  // A rank other than 0: its private working folder (run_distributed.h).
  std::filesystem::path scratch_;
};

void Run::prepare() {
  const Config& run = run_.pipeline.run;
  const RunSettings& settings = run_.pipeline.run_settings;
  World* world = run_.options.world;
  if (world) world->check_same_pipeline(run_.pipeline.resolved_toml());
  run_.threads = static_cast<int>(settings.threads);
  // Ranks on one machine share its cores.
  if (run_.threads == 0)
    run_.threads = std::max(1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) /
                                   (world ? world->spec().local_size : 1));
  torch::set_num_threads(run_.threads);
  const std::string allocator = configure_cpu_allocator(settings.cpu_allocator);
  set_conv_kernels(settings.conv_kernels);
  run_.seed = static_cast<uint64_t>(settings.seed);
  torch::manual_seed(run_.seed);
  run_.device = resolve_device(settings.device, run.where("device"));
  run_.channels_last = use_channels_last(settings.memory_format, run_.device);
  run_.precision = *precision_from_string(settings.precision);
  if (run_.precision == Precision::kFp16 && !run_.device.is_cuda())
    run.fail("precision", "fp16 training needs CUDA (the device is " + run_.device.str() +
                              "); on the CPU use bf16, or fp32");

  std::string name = settings.name;
  if (name.empty()) name = run_.pipeline.file.stem().string();
  fs::path root = run_.options.out ? *run_.options.out
                                   : RunFolder::unique_path(settings.out, name);
  const bool resume = run_.options.resume;
  if (!world || world->rank() == 0) {
    created_folder_ = !fs::exists(root);
    run_.folder = std::make_unique<RunFolder>(root, resume);
    add_log_file(root / "log.txt");
    if (world) world->from_rank0("run_dir", root.string());
  } else {
    root = world->from_rank0("run_dir", {});
    scratch_ = rank_scratch_folder(root, world->rank(), resume);
    run_.folder = std::make_unique<RunFolder>(scratch_, resume);
    add_log_file(root / ("log.rank" + std::to_string(world->rank()) + ".txt"));
  }
  set_signal_run_folder(root.string());
  spdlog::info("{} {}", resume ? "resuming the run in" : "run folder", root.string());
  if (world)
    spdlog::info("{}: each rank trains on 1/{} of every batch of {}{}", world->label(),
                 world->size(), run_.pipeline.data_settings.batch_size,
                 world->rank() == 0 ? "; this rank writes the run folder"
                                    : "; working files in " + scratch_.string());
  // The threads of every rank on this machine compete for its cores with a prefetch thread.
  run_.prefetch = use_prefetch(run_.pipeline.data_settings.prefetch, run_.device,
                               run_.threads * (world ? world->spec().local_size : 1));
  spdlog::info("device {}, {} thread(s), seed {}, batches prepared {}, {}, {} training",
               run_.device.str(), run_.threads, run_.seed,
               run_.prefetch ? "on a background thread" : "in line",
               run_.channels_last ? "channels-last" : "contiguous", settings.precision);
  spdlog::info(allocator);
  if (!resume) run_.folder->write_text("pipeline.resolved.toml", run_.pipeline.resolved_toml());
  run_.energy = EnergyMonitor::open(run_.pipeline, run_.registry);
  if (run_.energy) run_start_energy_ = run_.energy->read();
  json env = environment(run_.registry, run_.device, run_.threads);
  env["meter"] = meter_record();
  // A resumed run keeps the environment it started in; its log has this process's.
  if (!resume) run_.folder->write_json("env.json", env);
  try {
    run_.events = std::make_shared<report::EventWriter>(root / "tensorboard");
  } catch (const std::exception& e) {
    spdlog::warn("TensorBoard events are not written: {}", e.what());
  }
}

json Run::meter_record() const {
  if (run_.energy) return run_.energy->describe();
  return {{"name", "none"}};
}

void Run::load_data() {
  const Pipeline& pipeline = run_.pipeline;
  const Config& data = pipeline.data;
  auto dataset = run_.registry.create<Dataset>(pipeline.dataset.name, pipeline.dataset.options);
  const ComponentEntry* entry = run_.registry.find(pipeline.dataset.name);
  DataSplit train, test;
  auto start = std::chrono::steady_clock::now();
  const DataSettings& settings = pipeline.data_settings;
  const auto& classes = settings.classes;
  std::vector<ClassGroup> class_groups;
  call_plugin(pipeline.dataset.name, entry->library, data.where("plugin").str(), [&] {
    run_.info = dataset->info();
    if (!classes.empty()) class_groups = dataset->class_groups();
  });
  DatasetInfo& info = run_.info;
  ClassSubset subset;
  if (!classes.empty()) subset = resolve_class_subset(classes, info, class_groups, data);
  call_plugin(pipeline.dataset.name, entry->library, data.where("plugin").str(), [&] {
    train = dataset->load(SplitKind::kTrain);
    test = dataset->load(SplitKind::kTest);
  });
  // The first N images of the dataset, before any class subset: a subset run and an all-class
  // run with the same limit see the same images.
  auto limit = [](DataSplit& split, int64_t n) {
    if (n > 0 && n < split.images.size(0)) {
      split.images = split.images.slice(0, 0, n);
      split.labels = split.labels.slice(0, 0, n);
    }
  };
  limit(train, settings.limit_train);
  limit(test, settings.limit_test);
  // A split without images would "train" and "test" on nothing and report it as done.
  for (const auto& [split, name] :
       {std::pair<const DataSplit*, const char*>{&train, "training"}, {&test, "test"}})
    if (!split->images.defined() || split->images.size(0) == 0)
      throw DataError("dataset " + pipeline.dataset.name + " (" + data.where("plugin").str() +
                      ") gave no " + name + " images: its files declare none");
  run_.kept_classes = info.class_names;
  if (!classes.empty()) {
    const bool relabel = settings.relabel;
    train = restrict_to_classes(train, subset, info.num_classes, relabel);
    test = restrict_to_classes(test, subset, info.num_classes, relabel);
    std::string names;
    for (const auto& n : subset.names) names += (names.empty() ? "" : ", ") + n;
    spdlog::info("classes: {} of {} ({}), {}", subset.names.size(), info.num_classes, names,
                 relabel ? "relabelled 0.." + std::to_string(subset.names.size() - 1)
                         : "keeping the dataset's labels and its " +
                               std::to_string(info.num_classes) + "-way head");
    run_.kept_classes = subset.names;
    if (relabel) {
      info.num_classes = static_cast<int64_t>(subset.names.size());
      info.class_names = subset.names;
    }
  }

  // Hold out a seeded validation share of each class's training images.
  const auto [kept, held] =
      stratified_split(train.labels, info.num_classes, settings.val_split, run_.seed + 1);
  auto take = [&](const DataSplit& split, const torch::Tensor& rows) {
    return DeviceData{split.images.index_select(0, rows).to(run_.device),
                      split.labels.index_select(0, rows).to(run_.device)};
  };
  run_.val = take(train, held);
  run_.train = take(train, kept);
  run_.test = DeviceData{test.images.to(run_.device), test.labels.to(run_.device)};
  run_.normalizer = Normalizer(info.mean, info.std, run_.device, run_.channels_last);
  if (!pipeline.devices.profiles.empty()) {
    run_.devices = std::make_shared<HostDeviceBank>(pipeline.devices, run_.registry);
    run_.devices->check_channels(info.image_shape.at(0));
    run_.devices->check_precisions(run_.device);
  }
  // A train stage's `devices` names profiles of the bank: check them now, not after the stages
  // before it have trained. An empty list names none (and is what pipeline.resolved.toml writes
  // for the default), so it needs no bank.
  std::function<void(const StageSpec&)> check_devices = [&](const StageSpec& stage) {
    if (stage.options.has("devices") && stage.options.given("devices") &&
        !stage.options.get<std::vector<std::string>>("devices").empty()) {
      if (!run_.devices)
        stage.options.fail("devices", "the pipeline has no device profiles to choose from");
      run_.devices->select(stage.options.get<std::vector<std::string>>("devices"), stage.options,
                           "devices");
    }
    for (const StageSpec& inner : stage.inner) check_devices(inner);
  };
  for (const StageSpec& stage : pipeline.stages) check_devices(stage);
  spdlog::info("data {}: {} train, {} validation, {} test images of {} ({} classes), {:.1f} s",
               pipeline.dataset.name, run_.train.size(), run_.val.size(), run_.test.size(),
               c10::str(torch::IntArrayRef(info.image_shape)), info.num_classes,
               seconds_since(start));
}

void Run::build_model() {
  const Pipeline& pipeline = run_.pipeline;
  const Config& model = pipeline.model;
  run_.architecture =
      run_.registry.create<Architecture>(pipeline.architecture.name, pipeline.architecture.options);
  ModelSpec spec;
  spec.input_shape = run_.info.image_shape;
  spec.num_classes = run_.info.num_classes;
  const ModelSettings& settings = pipeline.model_settings;
  spec.width = settings.width;
  spec.widths = settings.widths;
  const bool from_summary = !settings.widths_from.empty();
  if (from_summary) spec.widths = widths_from_summary(model, settings.widths_from);
  // read_pipeline checked the file and its architecture; the data decides the rest.
  std::optional<CheckpointMeta> start;
  if (!settings.checkpoint.empty()) {
    start = read_checkpoint_meta(settings.checkpoint);
    const std::string file = "'" + settings.checkpoint + "'";
    if (start->input_shape != spec.input_shape)
      model.fail("checkpoint",
                 file + " was trained on " + c10::str(torch::IntArrayRef(start->input_shape)) +
                     " images; the data gives " + c10::str(torch::IntArrayRef(spec.input_shape)));
    if (start->num_classes != spec.num_classes)
      model.fail("checkpoint",
                 file + " has a " + std::to_string(start->num_classes) +
                     "-way head; the data gives " + std::to_string(spec.num_classes) + " classes" +
                     (pipeline.data_settings.relabel
                          ? " (data.relabel = true makes a head of the kept classes only; "
                            "leave it false to keep the dataset's labels)"
                          : ""));
    spec.widths = start->widths;
  }
  const std::string library = run_.architecture_library();
  const std::string where = model.where("architecture").str();
  ModelSpec full = spec;
  call_plugin(pipeline.architecture.name, library, where,
              [&] { full.widths = run_.architecture->reference_widths(spec); });
  // Bad widths are the user's input: say so before the plugin builds anything.
  if (!spec.widths.empty()) {
    const std::string key = from_summary ? "widths_from" : "widths";
    if (spec.widths.size() != full.widths.size())
      model.fail(key, "architecture " + pipeline.architecture.name + " has " +
                          std::to_string(full.widths.size()) + " channel groups, so it needs " +
                          std::to_string(full.widths.size()) + " widths; got " +
                          std::to_string(spec.widths.size()));
    for (size_t i = 0; i < spec.widths.size(); ++i)
      if (spec.widths[i] < 1)
        model.fail(key, "width " + std::to_string(i) + " is " + std::to_string(spec.widths[i]) +
                            "; every channel group needs at least 1 channel");
  }
  std::shared_ptr<GrowableNet> reference;
  call_plugin(pipeline.architecture.name, library, where, [&] {
    // The initial weights depend on the seed alone, not on what loading the data drew, so
    // gear.create_model(..., seed=run.seed) in Python builds the same net.
    torch::manual_seed(run_.seed);
    run_.net = run_.architecture->build(spec);
    reference = run_.architecture->build(full);
  });
  run_.reference_params = reference->params();
  GrowableNet& net = *run_.net;
  if (start) {
    if (net.group_names() != start->groups)
      model.fail("checkpoint", "'" + settings.checkpoint + "' names other channel groups than " +
                                   pipeline.architecture.name +
                                   " has (built by another version "
                                   "of the architecture?)");
    try {
      load_checkpoint_tensors(net, settings.checkpoint);
    } catch (const std::exception& e) {
      model.fail("checkpoint", e.what());
    }
    spdlog::info("model starts from {} (stage {}, epoch {}, validation accuracy {:.4f})",
                 settings.checkpoint, start->stage, start->epoch, start->val_accuracy);
  }
  net.to(run_.device);
  if (run_.channels_last) {
    const std::string hazard = channels_last_hazard(net);
    if (!hazard.empty()) pipeline.run.fail("memory_format", hazard);
  }
  apply_memory_format(net, run_.channels_last);
  std::string refusal;
  run_.split_workers =
      batch_split_workers(pipeline.run_settings.cpu_parallelism, run_.device,
                          run_.threads, batch_splittable(net), &refusal);
  if (!refusal.empty())
    pipeline.run.fail("cpu_parallelism",
                      "architecture " + pipeline.architecture.name + ": " + refusal);
  if (run_.split_workers > 1)
    spdlog::info("CPU parallelism: each batch split over {} workers, one thread each",
                 run_.split_workers);
  spdlog::info("model {}: widths {}, {} params ({:.2f}% of full size), {:.2f} M MACs",
               pipeline.architecture.name, c10::str(torch::IntArrayRef(net.widths())), net.params(),
               100.0 * net.params() / run_.reference_params, net.macs(run_.info.image_shape) / 1e6);
}

json Run::final_block() {
  GrowableNet& net = *run_.net;
  if (!run_.last_test) run_.last_test = run_.evaluate_net(run_.test, "final evaluation");
  json block = {{"clean_accuracy", run_.last_test->accuracy},
                {"test_loss", run_.last_test->loss},
                {"test_images", run_.last_test->samples},
                {"params", net.params()},
                {"reference_params", run_.reference_params},
                {"size_percent", 100.0 * net.params() / run_.reference_params},
                {"macs", net.macs(run_.info.image_shape)},
                {"widths", net.widths()},
                {"groups", net.group_names()}};
  block.update(latency());
  if (!progress_.cost_before.is_null()) {
    json after = measure_cost(net, cost_setup());
    block["cost"] = {{"unpruned", progress_.cost_before},
                     {"pruned", after},
                     {"ratios", cost_ratios(progress_.cost_before, after)},
                     {"finetune_seconds", progress_.finetune_seconds},
                     {"retrain_seconds", progress_.retrain_seconds}};
  }
  // Evaluator results on the final weights, each under its suite's name: a plugin cannot
  // overwrite one of the host's keys above.
  for (const auto& [suite, value] : run_.last_suites.items()) block[suite] = value;
  return block;
}

// A stage's energy, its own peak memory and, when it changed the widths, the latency of the
// net it leaves (the final net's is in the final block).
void Run::measure_stage(json& record, const std::optional<EnergyReading>& energy_start,
                        const std::optional<EnergyReading>& energy_end, const PeakMemory& peak) {
  if (energy_start && energy_end) {
    const EnergySpan span = energy_between(*energy_start, *energy_end, run_.energy->info());
    record.update(run_.energy->fields(span, true));
  }
  record["peak_memory_bytes"] = peak.bytes;
  record["peak_memory_per_stage"] = peak.per_stage;
  const std::vector<int64_t> widths = run_.net->widths();
  if (widths != progress_.latency_widths) record.update(latency());
  const int64_t step = static_cast<int64_t>(progress_.stages.size()) + 1;
  run_.scalar("stage/wall_seconds", step, record["wall_seconds"].get<double>());
  run_.scalar("stage/params", step, static_cast<double>(run_.net->params()));
  if (record.contains("energy_joules"))
    run_.scalar("energy/stage_joules", step, record["energy_joules"].get<double>());
  const std::vector<std::string> groups = run_.net->group_names();
  for (size_t g = 0; g < groups.size() && g < widths.size(); ++g)
    run_.scalar("widths/" + groups[g], step, static_cast<double>(widths[g]));
}

json Run::latency() {
  const std::vector<int64_t> widths = run_.net->widths();
  if (widths != progress_.latency_widths || progress_.latency.is_null()) {
    progress_.latency = measure_latency(*run_.net, cost_setup());
    progress_.latency_widths = widths;
  }
  return progress_.latency;
}

CostSetup Run::cost_setup() const {
  CostSetup setup;
  setup.sample_shape = run_.info.image_shape;
  setup.train_batch = run_.pipeline.data_settings.batch_size;
  setup.train_images = run_.train.size();
  setup.device = run_.device;
  setup.channels_last = run_.channels_last;
  return setup;
}

void Run::write_reports(const std::string& status, const std::string& error) {
  if (!run_.folder) return;
  const Pipeline& pipeline = run_.pipeline;
  run_.folder->write_json("stages.json", progress_.stages);
  json summary = {{"name", pipeline.run_settings.name.empty() ? pipeline_file_.stem().string()
                                                              : pipeline.run_settings.name},
                  {"pipeline", pipeline_file_.string()},
                  {"run_dir", run_.folder->root().string()},
                  {"status", status},
                  {"device", run_.device.str()},
                  {"threads", run_.threads},
                  {"ranks", run_.options.world ? run_.options.world->size() : 1},
                  {"precision", to_string(run_.precision)},
                  {"cpu_parallelism", run_.split_workers > 1 ? "batch_split" : "intra_op"},
                  {"seed", run_.seed},
                  {"dataset", pipeline.dataset.name},
                  {"classes", run_.kept_classes},
                  {"num_classes", run_.info.num_classes},
                  {"architecture", pipeline.architecture.name},
                  {"wall_seconds", progress_.seconds_before + seconds_since(start_)},
                  {"epoch_scale", pipeline.run_settings.epoch_scale},
                  {"budget", pipeline.budget.json()},
                  {"stages", progress_.stages},
                  {"meter", meter_record()}};
  if (run_start_energy_) {
    summary["energy_joules"] = joules_so_far();
    summary["energy_estimated"] = run_.energy->info().estimate;
  }
  if (!progress_.resumes.empty()) summary["resumes"] = progress_.resumes;
  if (!final_.is_null()) summary["final"] = final_;
  if (!error.empty()) summary["error"] = error;
  if (status == "interrupted")
    summary["resume"] = "gearhost run --resume " + run_.folder->root().string();
  run_.folder->write_json("summary.json", summary);
  summary_ = std::move(summary);
}

double Run::joules_so_far() const {
  if (!run_start_energy_) return progress_.joules_before;
  return progress_.joules_before +
         energy_between(*run_start_energy_, run_.energy->read(), run_.energy->info()).total_joules;
}

void Run::save_point(size_t next_stage, const RunContext::TrainState* train) {
  RunPosition position;
  position.progress = progress_;
  position.progress.seconds_before += seconds_since(start_);
  position.progress.joules_before = joules_so_far();
  position.next_stage = next_stage;
  position.pipeline_file = pipeline_file_.string();
  if (train) {
    position.stage_seconds = stage_seconds_before_ + seconds_since(stage_start_);
    position.stage_joules = stage_joules_before_;
    if (stage_energy_start_)
      position.stage_joules +=
          energy_between(*stage_energy_start_, run_.energy->read(), run_.energy->info())
              .total_joules;
  }
  const std::string where = train ? "stage " + std::to_string(current_stage_)
                            : next_stage == 0
                                ? std::string("the initial net")
                                : "the end of planned stage " + std::to_string(next_stage - 1);
  save_run_point(run_, position, train, where);
}

void Run::resume_from_point() {
  const RunPosition position = restore_run_point(run_);
  progress_ = position.progress;
  next_stage_ = position.next_stage;
  pipeline_file_ = position.pipeline_file;
  stage_seconds_before_ = position.stage_seconds;
  stage_joules_before_ = position.stage_joules;
}

json Run::execute() {
  try {
    prepare();
    write_reports("running");
    // Every stage's components are created once before the data loads, so one that cannot be
    // created (a Python module that does not import, a bad argument) stops the run before
    // hours of training rather than after.
    for (const StageSpec& stage : run_.pipeline.stages)
      stage_kind(stage.kind).check(stage, run_.registry);
    load_data();
    build_model();
    if (run_.options.world) sync_net_from_rank0(*run_.net, *run_.options.world, "the initial net");
    for (const StageSpec& stage : run_.pipeline.stages)
      stage_kind(stage.kind).check_run(stage, run_);
    const std::vector<PlannedStage> plan = plan_stages(run_.pipeline);
    if (run_.options.resume) {
      resume_from_point();
    } else {
      // The weights the run starts from: for reproducing it, and for comparing against them.
      save_checkpoint(*run_.net, run_.checkpoint_meta(0, 0, -1.0),
                      run_.folder->checkpoints() / "initial.pt");
      save_point(0, nullptr);
    }
    run_.save_resume_point = [this](const RunContext::TrainState& train) {
      save_point(current_stage_, &train);
    };
    for (size_t index = next_stage_; index < plan.size(); ++index) {
      current_stage_ = index;
      const PlannedStage& planned = plan[index];
      const StageSpec& stage = planned.stage;
      const std::string step = planned.steps > 1 ? " step " + std::to_string(planned.step) + "/" +
                                                       std::to_string(planned.steps)
                                                 : "";
      stage_started_ = true;
      spdlog::info("stage {} ({}{}){} starts", stage.index, stage.kind,
                   stage.component.name.empty() ? "" : ": " + stage.component.name, step);
      const StageKind& kind = stage_kind(stage.kind);
      set_crash_context("stage " + std::to_string(stage.index) + " (" + stage.kind +
                        (stage.component.name.empty() ? "" : ": " + stage.component.name) +
                        "), architecture " + run_.pipeline.architecture.name);
      if (kind.prunes() && progress_.cost_before.is_null()) {
        progress_.cost_before = measure_cost(*run_.net, cost_setup());
        spdlog::info("cost before pruning: {:.3f} ms per image at batch 1, {:.3f} ms at batch {}",
                     1e3 * progress_.cost_before["latency_batch1_seconds"].get<double>(),
                     1e3 * progress_.cost_before["latency_batch_seconds"].get<double>(),
                     progress_.cost_before["latency_batch"].get<int64_t>());
      }
      // The stage's energy, memory and time span the same interval: its own work only.
      const bool peak_reset = reset_peak_memory(run_.device);
      const std::optional<EnergyReading> energy_start = run_.energy_now();
      stage_energy_start_ = energy_start;
      stage_start_ = std::chrono::steady_clock::now();
      json record = kind.run(planned, run_);
      // Stages other than training run whole on every rank; rank 0's result is the run's.
      if (run_.options.world)
        sync_net_from_rank0(*run_.net, *run_.options.world,
                            "the net after stage " + std::to_string(stage.index));
      const std::optional<EnergyReading> energy_end = run_.energy_now();
      const double wall_seconds = stage_seconds_before_ + seconds_since(stage_start_);
      if (run_.resume_train) {
        spdlog::warn(
            "stage {} did not continue from the resume point inside it: it ran again "
            "from its start",
            stage.index);
        run_.resume_train.reset();
      }
      const PeakMemory peak = peak_memory(run_.device, peak_reset);
      record["index"] = stage.index;
      if (planned.steps > 1) {
        record["step"] = planned.step;
        record["steps"] = planned.steps;
      }
      record["kind"] = stage.kind;
      record["name"] = stage.options.get<std::string>("name");
      // Training epochs actually run (a train stage says); a grow stage's "epochs" is the
      // strategy's own option, not the host's.
      if (!record.contains("epochs")) record["epochs"] = 0;
      record["wall_seconds"] = wall_seconds;
      // Training before the first pruning fine-tunes; training after it (a search stage's
      // probes included) retrains.
      if (stage.kind == "train")
        (progress_.cost_before.is_null() ? progress_.finetune_seconds
                                         : progress_.retrain_seconds) +=
            record["wall_seconds"].get<double>();
      if (record.contains("retrain_seconds"))
        progress_.retrain_seconds += record["retrain_seconds"].get<double>();
      record["params"] = run_.net->params();
      record["macs"] = run_.net->macs(run_.info.image_shape);
      record["widths"] = run_.net->widths();
      record["peak_rss_bytes"] = process_peak_rss_bytes();
      measure_stage(record, energy_start, energy_end, peak);
      if (stage_seconds_before_ > 0.0) {
        record["resumed"] = true;
        if (record.contains("energy_joules"))
          record["energy_joules"] = record["energy_joules"].get<double>() + stage_joules_before_;
      }
      stage_seconds_before_ = stage_joules_before_ = 0.0;
      progress_.stages.push_back(record);
      write_reports("running");
      save_point(index + 1, nullptr);
      if (const int signal = agreed_stop_signal(run_.options.world))
        throw Interrupted(signal, std::string("stopped by ") +
                                      (signal == SIGINT ? "SIGINT" : "SIGTERM") + " after stage " +
                                      std::to_string(stage.index));
    }
    set_crash_context("the final evaluation");
    // The weights the final block describes, whatever stage last changed them: what another
    // run names to compare with (an evaluate stage's variants) or to start from.
    save_checkpoint(
        *run_.net, run_.checkpoint_meta(static_cast<int64_t>(run_.pipeline.stages.size()), 0, -1.0),
        run_.folder->checkpoints() / "final.pt");
    final_ = final_block();
    write_reports("completed");
    spdlog::info("done: test accuracy {:.4f}, {} params ({:.2f}% of full size), {:.1f} s",
                 final_["clean_accuracy"].get<double>(), final_["params"].get<int64_t>(),
                 final_["size_percent"].get<double>(), seconds_since(start_));
  } catch (const std::exception& e) {
    // Bad input found before the first stage (the data, the widths, the start checkpoint)
    // leaves no folder behind: it would hold nothing but the error, which the caller reports.
    const bool bad_input = dynamic_cast<const ConfigError*>(&e) ||
                           dynamic_cast<const DataError*>(&e) ||
                           dynamic_cast<const std::invalid_argument*>(&e);
    if (bad_input && !stage_started_ && created_folder_ && run_.folder) {
      remove_log_files();
      const fs::path root = run_.folder->root();
      run_.folder.reset();
      std::error_code ec;
      fs::remove_all(root, ec);
      throw;
    }
    const bool interrupted = dynamic_cast<const Interrupted*>(&e) != nullptr;
    if (interrupted) {
      spdlog::warn("{}", e.what());
      if (run_.folder)
        spdlog::warn("resume with: gearhost run --resume {}", run_.folder->root().string());
    }
    try {
      write_reports(interrupted ? "interrupted" : "failed", e.what());
    } catch (const std::exception& report_error) {
      // The original error matters more; say why the folder could not record it.
      spdlog::error("could not write the failed run's summary: {}", report_error.what());
    }
    remove_log_files();
    remove_scratch_folder(scratch_);
    throw;
  }
  remove_log_files();
  remove_scratch_folder(scratch_);
  return summary_;
}

}  // namespace

json run_pipeline(const Pipeline& pipeline, const Registry& registry, const RunOptions& options) {
  Run run(pipeline, registry, options);
  return run.execute();
}

}  // namespace gear::host
