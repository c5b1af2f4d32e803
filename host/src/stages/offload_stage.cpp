// kind = "offload": edge-to-cloud offloading on a stream of frames. The run's net is the edge's;
// `cloud` names a run (or checkpoint) whose net answers offloaded frames. Every offload policy
// plugin named in `policies` runs at every bandwidth target on the same stream and link, next to
// edge-only, cloud-only and the offline optimum.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <fstream>

#include "gear/host/attributed.h"
#include "gear/host/checkpoint.h"
#include "gear/host/memory_format.h"
#include "gear/host/offload/frame_bytes.h"
#include "gear/host/offload/frame_files.h"
#include "gear/host/offload/frame_stream.h"
#include "gear/host/offload/link_model.h"
#include "gear/host/offload/offload_oracle.h"
#include "gear/host/offload/offload_report.h"
#include "gear/host/offload/offload_simulation.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"
#include "gear/host/toml_config.h"
#include "gear/offload_policy.h"

namespace gear::host {
namespace {

using nlohmann::json;

// Its defaults are the schema's, filled in by read().
const ComponentList kPolicies{
    "policies", ComponentKindOf<OffloadPolicy>::kName, "offload policy", {}, {}};

// The cloud's net, rebuilt from its run's resolved pipeline (its own architecture and options).
struct CloudNet {
  std::shared_ptr<GrowableNet> net;
  std::string architecture, library;
};

std::filesystem::path cloud_checkpoint(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return std::filesystem::path(path) / "checkpoints" / "final.pt";
  return path;
}

// The run folder's pipeline.resolved.toml, beside the checkpoint's checkpoints/ folder.
std::filesystem::path cloud_pipeline_file(const std::filesystem::path& checkpoint) {
  return checkpoint.parent_path().parent_path() / "pipeline.resolved.toml";
}

CheckpointMeta read_cloud_meta(const Config& options) {
  const std::string path = options.get<std::string>("cloud");
  const std::filesystem::path file = cloud_checkpoint(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    options.fail("cloud",
                 "no checkpoint '" + file.string() +
                     "' (expected a run folder with checkpoints/final.pt, or a checkpoint)");
  if (!std::filesystem::is_regular_file(cloud_pipeline_file(file), ec))
    options.fail("cloud", "no '" + cloud_pipeline_file(file).string() +
                              "' beside the checkpoint: the cloud net is rebuilt from its run's "
                              "resolved pipeline");
  try {
    return read_checkpoint_meta(file);
  } catch (const std::exception& e) {
    options.fail("cloud", "'" + file.string() + "' is not a readable GEAR checkpoint: " + e.what());
  }
}

CloudNet load_cloud(const Config& options, const RunContext& run, const std::string& where) {
  const CheckpointMeta meta = read_cloud_meta(options);
  const std::filesystem::path file = cloud_checkpoint(options.get<std::string>("cloud"));
  const Pipeline cloud = [&] {
    try {
      return read_pipeline(cloud_pipeline_file(file), {}, run.registry);
    } catch (const ConfigError& e) {
      options.fail("cloud",
                   "the cloud run's pipeline does not read here: " + std::string(e.what()));
    }
  }();
  const std::vector<std::string> cloud_classes =
      cloud.data_settings.classes.empty() ? run.info.class_names : cloud.data_settings.classes;
  if (cloud.dataset.name != run.pipeline.dataset.name || meta.num_classes != run.info.num_classes ||
      cloud_classes != run.kept_classes)
    options.fail("cloud",
                 fmt::format("the cloud net classifies {} classes of {} ({}); the edge "
                             "net {} classes of {} ({}): they must share one class set",
                             meta.num_classes, cloud.dataset.name, fmt::join(cloud_classes, ", "),
                             run.info.num_classes, run.pipeline.dataset.name,
                             fmt::join(run.kept_classes, ", ")));
  CloudNet out;
  out.architecture = cloud.architecture.name;
  out.library = run.registry.find(out.architecture)->library;
  call_plugin(out.architecture, out.library, where, [&] {
    auto architecture =
        run.registry.create<Architecture>(out.architecture, cloud.architecture.options);
    ModelSpec spec;
    spec.input_shape = run.info.image_shape;
    spec.num_classes = meta.num_classes;
    spec.widths = meta.widths;
    out.net = architecture->build(spec);
  });
  load_checkpoint_tensors(*out.net, file);
  out.net->to(run.device);
  out.net->eval();
  return out;
}

// Logits of `net` for uint8 `frames` in evaluation batches, and the seconds per frame it took.
std::pair<torch::Tensor, double> logits_of(GrowableNet& net, const torch::Tensor& frames,
                                           const RunContext& run, const std::string& architecture,
                                           const std::string& library, const std::string& where) {
  net.eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  const int64_t batch = run.pipeline.data_settings.eval_batch_size;
  const auto t0 = std::chrono::steady_clock::now();
  call_plugin(architecture, library, where, [&] {
    for (int64_t begin = 0; begin < frames.size(0); begin += batch) {
      const torch::Tensor x = frames.slice(0, begin, std::min(begin + batch, frames.size(0)));
      out.push_back(net.forward(run.normalizer(x.to(run.device))).to(torch::kCPU, torch::kFloat));
    }
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {torch::cat(out), seconds / static_cast<double>(std::max<int64_t>(1, frames.size(0)))};
}

SceneStreamOptions scene_options(const Config& o, int64_t frames, const RunContext& run) {
  SceneStreamOptions s;
  s.frames = frames;
  s.frames_per_second = o.get<double>("fps");
  const auto lengths = o.get<std::vector<int64_t>>("scene_frames");
  if (lengths.size() != 2 || lengths[0] < 1 || lengths[1] < lengths[0])
    o.fail("scene_frames", "expected [min, max] frames per scene with 1 <= min <= max");
  s.min_scene_frames = lengths[0];
  s.max_scene_frames = lengths[1];
  s.shift = o.get<double>("shift");
  s.max_shift = o.get<double>("max_shift");
  s.exposure = o.get<double>("exposure");
  s.noise = o.get<double>("noise");
  const std::string profile = o.get<std::string>("profile");
  if (!profile.empty()) {
    if (!run.devices)
      o.fail("profile",
             "the pipeline has no device profiles: write [[device]] tables or load "
             "the devices plugin");
    s.profile = run.devices->select({profile}, o, "profile").front();
  }
  return s;
}

BandwidthTrace link_trace(const Config& o, double seconds) {
  const std::string link = o.get<std::string>("link");
  if (link == "constant") return BandwidthTrace::constant(o.get<double>("bandwidth"));
  if (link == "stepped") {
    const auto levels = o.get<std::vector<double>>("bandwidth_steps");
    if (levels.empty()) o.fail("bandwidth_steps", "a stepped link needs at least one level");
    for (double level : levels)
      if (level <= 0) o.fail("bandwidth_steps", "levels are positive bits per second");
    return BandwidthTrace::stepped(levels, o.get<double>("step_seconds"), seconds);
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(link, ec))
    o.fail("link", "'" + link + "' is neither \"constant\", \"stepped\" nor a trace CSV file");
  return BandwidthTrace::read_csv(link);
}

// The frames of a stream: the folder's recorded sequence (the evaluation stream of
// stream = "folder"), the split in order, or scenes drawn from it.
FrameStream frames_of(const DeviceData& split, int64_t frames, uint64_t seed, const Config& o,
                      const RunContext& run, bool evaluation) {
  const std::string kind = o.get<std::string>("stream");
  if (kind == "folder" && evaluation) {
    const std::string folder = o.get<std::string>("folder");
    if (folder.empty()) o.fail("folder", "stream = \"folder\" needs the folder of the frames");
    const auto& shape = run.info.image_shape;
    FrameStream stream = read_frame_folder(folder, run.kept_classes, shape.at(0), shape.at(1),
                                           shape.at(2), o.get<double>("fps"));
    if (frames < stream.size()) {
      stream.frames = stream.frames.slice(0, 0, frames);
      stream.labels = stream.labels.slice(0, 0, frames);
      stream.scenes = stream.scenes.slice(0, 0, frames);
    }
    return stream;
  }
  if (kind == "sequence") return sequence_stream(split, frames, o.get<double>("fps"));
  return make_scene_stream(split, scene_options(o, frames, run), seed, run.devices.get());
}

// One stream with everything the policies need, from `split`.
StreamOutcomes stream_outcomes(const DeviceData& split, int64_t frames, uint64_t seed,
                               const Config& o, RunContext& run, CloudNet& cloud,
                               const std::string& where, bool evaluation) {
  const FrameStream stream = frames_of(split, frames, seed, o, run, evaluation);
  StreamOutcomes out;
  out.frames = stream.frames;
  out.frames_per_second = stream.frames_per_second;
  auto [edge, edge_seconds] =
      logits_of(*run.net, stream.frames, run, run.pipeline.architecture.name,
                run.architecture_library(), where);
  auto [cloud_logits, cloud_seconds] =
      logits_of(*cloud.net, stream.frames, run, cloud.architecture, cloud.library, where);
  set_predictions(out, edge, cloud_logits, stream.labels);
  out.edge_seconds = edge_seconds;
  const double cloud_ms = o.get<double>("cloud_ms");
  out.cloud_seconds = cloud_ms >= 0 ? cloud_ms / 1000.0 : cloud_seconds;
  out.bytes = jpeg_sizes(stream.frames, static_cast<int>(o.get<int64_t>("jpeg_quality")));
  return out;
}

std::vector<OffloadBudget> budgets(const Config& o) {
  std::vector<OffloadBudget> out;
  const double fps = o.get<double>("fps");
  for (double f : o.get<std::vector<double>>("targets")) {
    if (f <= 0 || f > 1) o.fail("targets", "fractions of frames are in (0, 1]");
    out.push_back({f, 0.0, fps});
  }
  for (double b : o.get<std::vector<double>>("byte_rates")) {
    if (b <= 0) o.fail("byte_rates", "byte rates are positive bytes per second");
    out.push_back({0.0, b, fps});
  }
  if (out.empty()) o.fail("targets", "no bandwidth target: give targets or byte_rates");
  return out;
}

class OffloadStage final : public StageKind {
 public:
  std::string name() const override { return "offload"; }
  std::string doc() const override {
    return "edge-to-cloud offloading on a stream of frames: offload policies (policies = [...]) "
           "against edge-only, cloud-only and the offline optimum";
  }

  OptionSchema schema() const override {
    return common_stage_schema()
        .add_required(
            "cloud", ValueType::kString,
            "the cloud net: a run folder (its checkpoints/final.pt and pipeline.resolved.toml) "
            "or a checkpoint inside one")
        .add_string_list(
            "policies",
            {"confidence", "margin", "entropy", "scene_change", "random_offload", "learned"},
            "offload policy plugins; options of one go in a table named after it")
        .add_float_list("targets", {0.1, 0.2, 0.3}, "bandwidth targets: fractions of frames")
        .add_float_list("byte_rates", {}, "bandwidth targets: bytes per second")
        .add_string("split", "test", "the split the evaluation stream is drawn from")
        .one_of({"test", "val"})
        .add_string("stream", "scenes",
                    "\"scenes\" (each image held for a random number of frames under small "
                    "changes), \"sequence\" (the split's images in their stored order) or "
                    "\"folder\" (recorded frames: folder/labels.csv lists file,class in play "
                    "order; learned policies still train on scenes of the validation split)")
        .one_of({"scenes", "sequence", "folder"})
        .add_string("folder", "", "stream = \"folder\": the folder of the frames and labels.csv")
        .add_int("frames", 10000, "frames in the evaluation stream")
        .range(1, 10000000)
        .add_int("training_frames", 5000,
                 "frames in the training stream learned policies fit on (drawn from the "
                 "validation split, or the training split when the run has none)")
        .range(1, 10000000)
        .add_float("fps", 30.0, "frames per second")
        .range(0.001, 10000)
        .add_int_list("scene_frames", {10, 60}, "[min, max] frames a scene lasts")
        .add_float("shift", 0.5, "camera shake: pixels the image moves per frame (std)")
        .range(0, 100)
        .add_float("max_shift", 2.0, "camera shake: the largest offset in pixels")
        .range(0, 100)
        .add_float("exposure", 0.03, "exposure drift: std of the log-gain step per frame")
        .range(0, 1)
        .add_float("noise", 0.02, "sensor noise std in [0, 1] pixel units, every frame")
        .range(0, 1)
        .add_string("profile", "", "a device profile every frame goes through (\"\": none)")
        .add_int("jpeg_quality", 90, "JPEG quality an offloaded frame is sent at")
        .range(1, 100)
        .add_string("link", "constant",
                    "the link's bandwidth: \"constant\" (bandwidth), \"stepped\" "
                    "(bandwidth_steps) or a CSV file of time_seconds,bits_per_second rows")
        .add_float("bandwidth", 1e6, "constant link: bits per second")
        .range(1, 1e12)
        .add_float_list("bandwidth_steps", {1e6, 1.5e5, 4e5},
                        "stepped link: bits per second levels")
        .add_float("step_seconds", 30.0, "stepped link: seconds per level")
        .range(0.001, 1e6)
        .add_float("rtt_ms", 50.0, "round-trip time of the link in milliseconds")
        .range(0, 1e6)
        .add_float("cloud_ms", 5.0,
                   "cloud inference per frame in milliseconds (-1: as measured on this machine)")
        .range(-1, 1e6)
        .add_bool("write_frames", false,
                  "write every frame's features and decisions to stage<i>.offload.frames.csv");
  }

  std::string describe_note() const override {
    return "each policy's options go in a table named after it: learned = { ... }";
  }

  void read(const toml::table& table, const StageReadContext& context,
            StageSpec& stage) const override {
    ComponentList policies = kPolicies;
    policies.defaults =
        std::get<std::vector<std::string>>(*schema().find("policies")->default_value);
    stage.evaluators =
        read_component_list(table, context.path, policies, context.registry, context.file);
    std::vector<std::string> policy_tables;
    for (const auto& p : stage.evaluators) policy_tables.push_back(p.name);
    stage.options = config_from_table(table, context.path, schema(), context.file, policy_tables);
    if (stage.evaluators.empty()) stage.options.fail("policies", "no offload policy to run");
    read_cloud_meta(stage.options);
    budgets(stage.options);
    link_trace(stage.options, 1.0);
  }

  void write_resolved(const StageSpec& stage, std::ostream& out) const override {
    write_config(out, stage.options);
    for (const auto& policy : stage.evaluators) {
      out << "[stage." << policy.name << "]\n";
      write_config(out, policy.options);
    }
  }

  void check(const StageSpec& stage, const Registry& registry) const override {
    for (const ComponentRef& policy : stage.evaluators)
      registry.create<OffloadPolicy>(policy.name, policy.options);
  }

  void check_run(const StageSpec& stage, const RunContext& run) const override {
    const Config& o = stage.options;
    load_cloud(o, run, "stage " + std::to_string(stage.index) + " (offload)");
    if (o.get<std::string>("stream") != "sequence") scene_options(o, 1, run);
    if (o.get<std::string>("stream") == "folder") frames_of(run.test, 1, 0, o, run, true);
  }

  json run(const PlannedStage& planned, RunContext& run) const override;
};

json OffloadStage::run(const PlannedStage& planned, RunContext& run) const {
  const StageSpec& stage = planned.stage;
  const Config& o = stage.options;
  const std::string where = "stage " + std::to_string(stage.index) + " (offload)";
  const auto t0 = std::chrono::steady_clock::now();
  CloudNet cloud = load_cloud(o, run, where);
  const uint64_t seed = run.seed + 104729 * static_cast<uint64_t>(stage.index + 1);
  const DeviceData& split = o.get<std::string>("split") == "val" ? run.val : run.test;
  if (split.size() == 0)
    o.fail("split", "the run has no " + o.get<std::string>("split") + " split");
  const StreamOutcomes stream =
      stream_outcomes(split, o.get<int64_t>("frames"), seed, o, run, cloud, where, true);
  const double seconds = static_cast<double>(stream.size()) / stream.frames_per_second;
  const BandwidthTrace trace = link_trace(o, seconds);
  const double rtt = o.get<double>("rtt_ms") / 1000.0;

  std::vector<Attributed<OffloadPolicy>> policies;
  json record = {{"frames", stream.size()}, {"seconds", seconds}};
  bool needs_training = false;
  for (const ComponentRef& ref : stage.evaluators) {
    const std::string library = run.registry.find(ref.name)->library;
    auto policy = run.registry.create<OffloadPolicy>(ref.name, ref.options);
    policies.emplace_back(policy, ref.name, library, where);
    bool learns = false;
    policies.back().call([&](OffloadPolicy& p) { learns = p.learns(); });
    needs_training = needs_training || learns;
  }
  if (needs_training) {
    const bool has_val = run.val.size() > 0;
    const DeviceData& training = has_val ? run.val : run.train;
    if (!has_val)
      spdlog::warn(
          "{}: the run has no validation split; learned policies fit on a stream of the "
          "training split, whose edge outputs are more confident than on new data",
          where);
    record["training_split"] = has_val ? "val" : "train";
    const StreamOutcomes train_stream =
        stream_outcomes(training, o.get<int64_t>("training_frames"), seed ^ 0xabcdefULL, o, run,
                        cloud, where, false);
    const std::vector<OffloadExample> examples = training_examples(train_stream, trace, rtt);
    for (auto& policy : policies)
      policy.call([&](OffloadPolicy& p) {
        if (p.learns()) p.fit(examples);
      });
  }

  OffloadReport report(stream, trace, rtt);
  for (const OffloadBudget& budget : budgets(o))
    for (size_t k = 0; k < policies.size(); ++k) {
      OffloadOutcome outcome;
      policies[k].call(
          [&](OffloadPolicy& p) { outcome = simulate_offloading(p, budget, stream, trace, rtt); });
      report.add(stage.evaluators[k].name, budget, std::move(outcome));
    }
  const std::string prefix =
      (run.folder->root() / ("stage" + std::to_string(stage.index) + ".offload")).string();
  report.write_csv(prefix + ".csv");
  report.write_svg(prefix + ".svg");
  if (o.get<bool>("write_frames")) report.write_frames(prefix + ".frames.csv");
  record.update(report.to_json());
  record["edge_ms_per_frame"] = stream.edge_seconds * 1000.0;
  record["cloud_ms_per_frame"] = stream.cloud_seconds * 1000.0;
  record["cloud"] = o.get<std::string>("cloud");
  for (const json& row : record["rows"])
    spdlog::info(
        "stage {} offload: {:<14} target {:<9} accuracy {:.4f} offloaded {:.3f} "
        "bytes/s {:.0f} gap {:.1f}%",
        stage.index, row["policy"].get<std::string>(), row["target"].get<std::string>(),
        row["accuracy"].get<double>(), row["offloaded_fraction"].get<double>(),
        row["bytes_per_second"].get<double>(), row["gap_percent"].get<double>());
  record["offload_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return record;
}

}  // namespace

const StageKind& offload_stage_kind() {
  static const OffloadStage kind;
  return kind;
}

}  // namespace gear::host
