// kind = "train": trains the net for some epochs with an optimizer, a schedule, an
// augmentation and an objective, checkpointing every epoch.
#include <spdlog/spdlog.h>

#include "gear/host/run_context.h"
#include "gear/host/stage_augmentation.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_objective.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"
#include "gear/host/toml_config.h"
#include "gear/host/train_loop.h"
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
        .add_string(
            "objective", kAutoObjective,
            "objective plugin (the loss), or a table {name = ..., ...}; auto: jsd for "
            "batches whose augmentation asks for consistency (augmix; era with jsd = true), "
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
  TrainRequest request;
  request.stage = &planned.stage;
  request.first_epoch = planned.first_epoch;
  request.resumable = true;
  if (planned.steps > 1)
    request.label =
        " segment " + std::to_string(planned.step) + "/" + std::to_string(planned.steps);
  return train_net(run, request).record;
}

}  // namespace

const StageKind& train_stage_kind() {
  static const TrainStage kind;
  return kind;
}

}  // namespace gear::host
