#include "gear/host/stage_plan.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gear/host/stage_kind.h"
#include "gear/host/train_options.h"

namespace gear::host {
void set_keeping_position(Config& config, const std::string& name, Value value) {
  config.set(name, std::move(value), config.where(name), config.given(name));
}

StageSpec scale_train(const StageSpec& stage, double scale) {
  StageSpec out = stage;
  if (scale == 1.0) return out;
  Config& config = out.options;
  const auto& binder = train_options_binder();
  const TrainOptions o = binder.read(config);
  set_keeping_position(config, binder.name_of(&TrainOptions::epochs),
                       scaled_epochs(o.epochs, scale));
  std::vector<int64_t> milestones = o.milestones;
  for (auto& m : milestones) m = std::llround(static_cast<double>(m) * scale);
  set_keeping_position(config, binder.name_of(&TrainOptions::milestones), milestones);
  set_keeping_position(
      config, binder.name_of(&TrainOptions::step_size),
      std::max<int64_t>(1, std::llround(static_cast<double>(o.step_size) * scale)));
  set_keeping_position(config, binder.name_of(&TrainOptions::warmup_epochs),
                       o.warmup_epochs * scale);
  return out;
}

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
  std::vector<PlannedStage> plan;
  for (size_t i = 0; i < pipeline.stages.size();)
    i += stage_kind(pipeline.stages[i].kind).plan(pipeline, i, plan);
  return plan;
}

}  // namespace gear::host
