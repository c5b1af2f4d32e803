#include "gear/host/run_point.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "gear/host/checkpoint.h"
#include "gear/host/generator_state.h"
#include "gear/host/stopwatch.h"

namespace gear::host {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kTrainPrefix = "train.";
constexpr const char* kGeneratorPrefix = "rng.";

// A resolved pipeline without its leading comment, which names the file it was read from (the
// original, or pipeline.resolved.toml when resuming).
std::string without_header(const std::string& toml) {
  size_t begin = 0;
  while (begin < toml.size() && toml[begin] == '#') {
    const size_t end = toml.find('\n', begin);
    begin = end == std::string::npos ? toml.size() : end + 1;
  }
  return toml.substr(begin);
}

// The tensors of `point` named `prefix`..., without the prefix.
std::map<std::string, torch::Tensor> tensors_under(const ResumePoint& point,
                                                   const std::string& prefix) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, tensor] : point.tensors)
    if (name.rfind(prefix, 0) == 0) out[name.substr(prefix.size())] = tensor;
  return out;
}

}  // namespace

void save_run_point(const RunContext& run, const RunPosition& position,
                    const RunContext::TrainState* train, const std::string& where) {
  if (const std::string bad = first_non_finite_parameter(*run.net); !bad.empty())
    throw std::runtime_error(where + ": parameter " + bad +
                             " is not finite; no resume point of it was written (the last one, "
                             "checkpoints/resume.pt, is kept)");
  ResumePoint point;
  point.meta = run.checkpoint_meta(static_cast<int64_t>(position.next_stage), 0, -1.0);
  json& state = point.state;
  state = to_json(position.progress);
  state["format"] = 1;
  state["pipeline"] = run.pipeline.resolved_toml();
  state["pipeline_file"] = position.pipeline_file;
  state["next_stage"] = position.next_stage;
  state["epochs_run"] = run.epochs_run;
  state["last_test"] = run.last_test ? to_json(*run.last_test) : json();
  state["last_suites"] = run.last_suites;
  state["metrics"] = run.folder->metrics_rows();
  state["train"] = train ? train->json : json();
  if (train) {
    state["stage_seconds"] = position.stage_seconds;
    state["stage_joules"] = position.stage_joules;
    for (const auto& [name, tensor] : train->tensors) point.tensors[kTrainPrefix + name] = tensor;
  }
  for (const auto& [name, tensor] : default_generator_states())
    point.tensors[kGeneratorPrefix + name] = tensor;
  const auto start = std::chrono::steady_clock::now();
  const fs::path file = run.folder->checkpoints() / "resume.pt";
  save_resume_point(*run.net, point, file);
  spdlog::debug("resume point ({}) written in {:.1f} ms, {} bytes", where,
                1e3 * seconds_since(start), fs::file_size(file));
}

RunPosition restore_run_point(RunContext& run) {
  const fs::path file = run.folder->checkpoints() / "resume.pt";
  if (!fs::exists(file))
    throw std::invalid_argument("cannot resume " + run.folder->root().string() + ": it has no " +
                                "checkpoints/resume.pt (not a GEAR run folder, or one written "
                                "before resume points existed)");
  ResumePoint point;
  try {
    point = read_resume_point(file);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("cannot resume: ") + e.what());
  }
  const json& state = point.state;
  if (without_header(state.value("pipeline", std::string())) !=
      without_header(run.pipeline.resolved_toml()))
    throw std::invalid_argument(
        "cannot resume " + run.folder->root().string() + ": its pipeline.resolved.toml no " +
        "longer resolves to the pipeline the run recorded (edited, or read by another GEAR " +
        "version); start a new run instead");
  if (point.meta.architecture != run.pipeline.architecture.name ||
      point.meta.groups != run.net->group_names())
    throw std::invalid_argument("cannot resume: " + file.string() + " holds a net of " +
                                point.meta.architecture + " with other channel groups");
  RunPosition position;
  try {
    position.progress = run_progress_from_json(state);
    position.next_stage = state.at("next_stage").get<size_t>();
    position.pipeline_file = state.at("pipeline_file").get<std::string>();
    run.epochs_run = state.at("epochs_run").get<int64_t>();
    if (!state.at("last_test").is_null()) run.last_test = pass_stats_from_json(state["last_test"]);
    run.last_suites = state.at("last_suites");
    run.folder->restore_metrics(state.at("metrics").get<std::vector<json>>());
    if (!state.at("train").is_null()) {
      run.resume_train = RunContext::TrainState{state["train"], tensors_under(point, kTrainPrefix)};
      position.stage_seconds = state.at("stage_seconds").get<double>();
      position.stage_joules = state.at("stage_joules").get<double>();
    }
  } catch (const json::exception& e) {
    throw std::invalid_argument("cannot resume: " + file.string() +
                                " has a malformed state: " + e.what());
  }
  run.net = run.rebuild_net(point.meta.widths, file, "resume point " + file.string());
  // Last: building the net above drew from the default generator.
  restore_default_generator_states(tensors_under(point, kGeneratorPrefix));
  json resume = {{"stage", position.next_stage},
                 {"seconds_before", position.progress.seconds_before}};
  if (run.resume_train) {
    resume["epoch"] = run.resume_train->json.at("epoch");
    resume["step"] = run.resume_train->json.at("step");
  }
  position.progress.resumes.push_back(resume);
  spdlog::info("resuming at planned stage {}{}: widths {}, {} epoch(s) done", position.next_stage,
               run.resume_train ? " (inside it)" : "",
               c10::str(torch::IntArrayRef(point.meta.widths)), run.epochs_run);
  return position;
}

}  // namespace gear::host
