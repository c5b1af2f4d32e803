// kind = "grow": a growth strategy widens the net's channel groups; steps = k > 1 grows in k
// shots between segments of the train stage that follows.
#include <spdlog/spdlog.h>

#include "gear/host/growth_stage.h"
#include "gear/host/run_context.h"
#include "gear/host/stage_augmentation.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"
#include "gear/host/train_options.h"

namespace gear::host {
namespace {

using nlohmann::json;

std::string scale_note(double scale) {
  return scale == 1.0 ? "" : " (after run.epoch_scale = " + to_toml(Value(scale)) + ")";
}

class GrowStage final : public StageKind {
 public:
  std::string name() const override { return "grow"; }
  std::string doc() const override {
    return "a growth strategy widens the net's channel groups (strategy = \"...\")";
  }

  OptionSchema schema() const override {
    return common_stage_schema()
        .add_required("strategy", ValueType::kString, "growth strategy plugin")
        .add_int("steps", 1,
                 "multi-shot growth: grow in this many steps, each with gamma_k = "
                 "(1+gamma)^(1/steps)-1, between equal segments of the next train stage")
        .at_least(1)
        .add_string("augmentation", "none",
                    "augmentation of the batches the strategy trains and scores on (GEARnn-1 grows "
                    "on augmented data), or a table {name = ..., ...}");
  }

  std::string describe_note() const override {
    return "the strategy's own options go in the same table";
  }

  void read(const toml::table& table, const StageReadContext& context,
            StageSpec& stage) const override {
    Config host;
    stage.component = component_section(table, context.path, "strategy", "",
                                        ComponentKindOf<GrowthStrategy>::kName, schema(),
                                        context.registry, context.file, &host, {"augmentation"});
    stage.augmentation =
        read_component_choice(table, context.path, {"augmentation", "augmentation", "none", "none"},
                              context.registry, context.file, host);
    stage.component.options = host;
    stage.options = host;
  }

  void write_resolved(const StageSpec& stage, std::ostream& out) const override {
    const bool table = !stage.augmentation.name.empty();
    write_config(out, stage.options,
                 table ? std::vector<std::string>{"augmentation"} : std::vector<std::string>{});
    write_component_table(out, "stage.augmentation", stage.augmentation);
  }

  size_t plan(const Pipeline& pipeline, size_t index,
              std::vector<PlannedStage>& plan) const override;

  void check(const StageSpec& stage, const Registry& registry) const override {
    registry.create<GrowthStrategy>(stage.component.name, stage.component.options);
  }

  json run(const PlannedStage& planned, RunContext& run) const override;
};

size_t GrowStage::plan(const Pipeline& pipeline, size_t index,
                       std::vector<PlannedStage>& plan) const {
  const auto& stages = pipeline.stages;
  const StageSpec& stage = stages[index];
  const int64_t steps = stage.options.get<int64_t>("steps");
  if (steps <= 1) {
    plan.push_back({stage, 0, 0, 0});
    return 1;
  }
  const double scale = pipeline.run_settings.epoch_scale;
  const Config& o = stage.options;
  const std::string k = std::to_string(steps);
  const Config& strategy = stage.component.options;
  if (!strategy.has("gamma") || !std::holds_alternative<double>(strategy.value("gamma")))
    o.fail("steps", "steps = " + k +
                        " divides the growth ratio gamma between steps, but "
                        "strategy '" +
                        stage.component.name + "' has no float option 'gamma'");
  const std::string next_path = "stage " + std::to_string(stage.index + 1);
  if (index + 1 >= stages.size() || stages[index + 1].kind != "train")
    o.fail("steps", "steps = " + k + " trains between growth steps, so the next stage (" +
                        next_path + ") must be a train stage" +
                        (index + 1 >= stages.size() ? ", but there is none"
                                                    : ", not '" + stages[index + 1].kind + "'"));
  const StageSpec train = scale_train(stages[index + 1], scale);
  const auto& train_binder = train_options_binder();
  const TrainOptions train_options = train_binder.read(train.options);
  const int64_t epochs = train_options.epochs;
  if (epochs < steps)
    o.fail("steps", "steps = " + k + " needs at least " + k + " epochs in the next train stage (" +
                        next_path + "), which has " + std::to_string(epochs) + scale_note(scale));
  const std::vector<int64_t> segments = split_epochs(epochs, steps);
  if (train_options.warmup_epochs > static_cast<double>(segments.back()))
    train.options.fail(train_binder.name_of(&TrainOptions::warmup_epochs),
                       "each of the " + k + " growth steps trains " +
                           std::to_string(segments.back()) +
                           " epoch(s) or more with a fresh schedule, shorter than this warm-up" +
                           scale_note(scale));
  const double gamma = step_gamma(strategy.get<double>("gamma"), steps);
  int64_t done = 0;
  for (int64_t j = 1; j <= steps; ++j) {
    PlannedStage grow{stage, j, steps, 0};
    set_keeping_position(grow.stage.component.options, "gamma", gamma);
    if (grow.stage.options.has("gamma")) set_keeping_position(grow.stage.options, "gamma", gamma);
    plan.push_back(std::move(grow));
    PlannedStage segment{train, j, steps, done};
    set_keeping_position(segment.stage.options, train_binder.name_of(&TrainOptions::epochs),
                         segments[static_cast<size_t>(j - 1)]);
    done += segments[static_cast<size_t>(j - 1)];
    plan.push_back(std::move(segment));
  }
  return 2;  // the train stage runs as the segments
}

json GrowStage::run(const PlannedStage& planned, RunContext& run) const {
  const StageSpec& stage = planned.stage;
  GrowthInputs inputs;
  inputs.net = run.net.get();
  inputs.train = &run.train;
  const std::shared_ptr<Augmentation> augmentation = stage_augmentation(stage, run.registry);
  inputs.augmentation = augmentation.get();
  inputs.normalizer = run.normalizer;
  inputs.batch_size = run.pipeline.data_settings.batch_size;
  inputs.prefetch = run.prefetch;
  inputs.seed = run.seed + 31 * static_cast<uint64_t>(stage.index) +
                1000003ULL * static_cast<uint64_t>(std::max<int64_t>(0, planned.step - 1));
  inputs.budget = run.pipeline.budget.budget;
  inputs.budget_written = run.pipeline.budget.json();
  inputs.sample_shape = run.info.image_shape;
  inputs.reference_params = run.reference_params;
  inputs.step = planned.step;
  inputs.steps = planned.steps;
  json record = run_growth(stage, run.registry, inputs);
  // The grown net, before any training changes it: for checking function preservation and
  // scores, and for starting another pipeline from it.
  record["checkpoint"] = run.net_reshaped(
      stage.index, "stage" + std::to_string(stage.index) +
                       (planned.steps > 1 ? "-step" + std::to_string(planned.step) : "") + ".pt");
  return record;
}

}  // namespace

const StageKind& grow_stage_kind() {
  static const GrowStage kind;
  return kind;
}

}  // namespace gear::host
