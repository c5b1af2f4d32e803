#include "gear/host/stage_plan.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gear::host {
namespace {

// Changes a value, keeping where it came from and whether the user wrote it, so errors still
// point at the user's text.
void replace(Config& config, const std::string& name, Value value) {
  config.set(name, std::move(value), config.where(name), config.given(name));
}

// A train stage with run.epoch_scale applied to its epochs and to the schedule keys counted in
// epochs, so a scaled-down run keeps the shape of the written schedule.
StageSpec scale_train(const StageSpec& stage, double scale) {
  StageSpec out = stage;
  if (scale == 1.0) return out;
  Config& o = out.options;
  replace(o, "epochs", scaled_epochs(o.get<int64_t>("epochs"), scale));
  std::vector<int64_t> milestones = o.get<std::vector<int64_t>>("milestones");
  for (auto& m : milestones) m = std::llround(static_cast<double>(m) * scale);
  replace(o, "milestones", milestones);
  replace(
      o, "step_size",
      std::max<int64_t>(1, std::llround(static_cast<double>(o.get<int64_t>("step_size")) * scale)));
  replace(o, "warmup_epochs", o.get<double>("warmup_epochs") * scale);
  return out;
}

std::string scale_note(double scale) {
  return scale == 1.0 ? "" : " (after run.epoch_scale = " + to_toml(Value(scale)) + ")";
}

}  // namespace

int64_t scaled_epochs(int64_t epochs, double scale) {
  if (epochs <= 0) return epochs;
  return std::max<int64_t>(1, std::llround(static_cast<double>(epochs) * scale));
}

std::vector<int64_t> split_epochs(int64_t epochs, int64_t parts) {
  if (parts < 1) throw std::invalid_argument("split_epochs: parts must be >= 1");
  std::vector<int64_t> out(static_cast<size_t>(parts), epochs / parts);
  for (int64_t i = 0; i < epochs % parts; ++i) ++out[static_cast<size_t>(i)];
  return out;
}

double step_gamma(double gamma, int64_t steps) {
  return std::pow(1.0 + gamma, 1.0 / static_cast<double>(steps)) - 1.0;
}

std::vector<PlannedStage> plan_stages(const Pipeline& pipeline) {
  const double scale = pipeline.run.get<double>("epoch_scale");
  const auto& stages = pipeline.stages;
  std::vector<PlannedStage> plan;
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageSpec& stage = stages[i];
    if (stage.kind == "train") {
      plan.push_back({scale_train(stage, scale), 0, 0, 0});
      continue;
    }
    const int64_t steps = stage.kind == "grow" ? stage.options.get<int64_t>("steps") : 1;
    if (steps <= 1) {
      plan.push_back({stage, 0, 0, 0});
      continue;
    }
    const Config& o = stage.options;
    const std::string k = std::to_string(steps);
    const Config& strategy = stage.component.options;
    if (!strategy.has("gamma") || !std::holds_alternative<double>(strategy.value("gamma")))
      o.fail("steps", "steps = " + k +
                          " divides the growth ratio gamma between steps, but "
                          "strategy '" +
                          stage.component.name + "' has no float option 'gamma'");
    const std::string next_path = "stage " + std::to_string(stage.index + 1);
    if (i + 1 >= stages.size() || stages[i + 1].kind != "train")
      o.fail("steps", "steps = " + k + " trains between growth steps, so the next stage (" +
                          next_path + ") must be a train stage" +
                          (i + 1 >= stages.size() ? ", but there is none"
                                                  : ", not '" + stages[i + 1].kind + "'"));
    const StageSpec train = scale_train(stages[i + 1], scale);
    const int64_t epochs = train.options.get<int64_t>("epochs");
    if (epochs < steps)
      o.fail("steps", "steps = " + k + " needs at least " + k +
                          " epochs in the next train stage (" + next_path + "), which has " +
                          std::to_string(epochs) + scale_note(scale));
    const std::vector<int64_t> segments = split_epochs(epochs, steps);
    const double warmup = train.options.get<double>("warmup_epochs");
    if (warmup > static_cast<double>(segments.back()))
      train.options.fail("warmup_epochs",
                         "each of the " + k + " growth steps trains " +
                             std::to_string(segments.back()) +
                             " epoch(s) or more with a fresh schedule, shorter than this warm-up" +
                             scale_note(scale));
    const double gamma = step_gamma(strategy.get<double>("gamma"), steps);
    int64_t done = 0;
    for (int64_t j = 1; j <= steps; ++j) {
      PlannedStage grow{stage, j, steps, 0};
      replace(grow.stage.component.options, "gamma", gamma);
      if (grow.stage.options.has("gamma")) replace(grow.stage.options, "gamma", gamma);
      plan.push_back(std::move(grow));
      PlannedStage segment{train, j, steps, done};
      replace(segment.stage.options, "epochs", segments[static_cast<size_t>(j - 1)]);
      done += segments[static_cast<size_t>(j - 1)];
      plan.push_back(std::move(segment));
    }
    ++i;  // the train stage ran as the segments
  }
  return plan;
}

}  // namespace gear::host
