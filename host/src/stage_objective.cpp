#include "gear/host/stage_objective.h"

#include <utility>

#include "gear/host/attributed.h"
#include "gear/host/stage_reading.h"
#include "gear/host/trainer.h"

namespace gear::host {
namespace {

constexpr const char* kCrossEntropy = "cross_entropy";
constexpr const char* kConsistency = "jsd";

// "auto": AugMix's loss when the augmentation asks for it, plain cross-entropy otherwise.
class AutoObjective final : public Objective {
 public:
  AutoObjective(std::shared_ptr<Objective> plain, std::shared_ptr<Objective> consistency)
      : plain_(std::move(plain)), consistency_(std::move(consistency)) {}
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override {
    if (batch.views.size() > 1 && batch.consistency_weight > 0.0)
      return consistency_->compute(net, batch);
    return plain_->compute(net, batch);
  }
  bool supports_batch_split() const override {
    return plain_->supports_batch_split() && consistency_->supports_batch_split();
  }
  int64_t device_views() const override { return 0; }

 private:
  std::shared_ptr<Objective> plain_, consistency_;
};

// Runs an objective plugin with errors attributed to it, the stage and the architecture.
class GuardedObjective final : public Objective {
 public:
  explicit GuardedObjective(Attributed<Objective> inner) : inner_(std::move(inner)) {}
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override {
    ObjectiveValue value;
    inner_.call([&](Objective& o) {
      value = o.compute(net, batch);
      check_objective_value(value, batch);  // a malformed result is the objective's fault too
    });
    return value;
  }
  bool supports_batch_split() const override {
    bool supported = false;
    inner_.call([&](Objective& o) { supported = o.supports_batch_split(); });
    return supported;
  }
  int64_t device_views() const override {
    int64_t views = 0;
    inner_.call([&](Objective& o) { views = o.device_views(); });
    if (views < 0 || views > 8)
      inner_.call([&](Objective&) {
        throw std::runtime_error("asked for " + std::to_string(views) +
                                 " device views per batch (0 to 8)");
      });
    return views;
  }

 private:
  Attributed<Objective> inner_;
};

OptionSchema auto_schema(const Registry& registry, const SourcePosition& where,
                         const std::string& key) {
  OptionSchema schema;
  for (const char* name : {kCrossEntropy, kConsistency}) {
    const ComponentEntry* entry = registry.find(name);
    if (!entry || entry->info.kind != ComponentKindOf<Objective>::kName)
      throw ConfigError(where, key,
                        std::string("objective \"auto\" needs the objectives '") + kCrossEntropy +
                            "' and '" + kConsistency + "' (plugin gear-objectives); '" + name +
                            "' is not loaded" + registry.searched_text());
    schema.merge(entry->info.schema);
  }
  return schema;
}

}  // namespace

ComponentRef read_stage_objective(const toml::table& table, const StageReadContext& context,
                                  Config& host) {
  const Registry& registry = context.registry;
  return read_component_choice(
      table, context.path, {"objective", ComponentKindOf<Objective>::kName, kAutoObjective, ""},
      registry, context.file, host,
      [&](const std::string& name, const SourcePosition& where, const std::string& key) {
        if (name == kAutoObjective) return auto_schema(registry, where, key);
        return registry.require<Objective>(name, where, key).info.schema;
      });
}

std::shared_ptr<Objective> stage_objective(const StageSpec& stage, const Registry& registry,
                                           const std::string& architecture) {
  const ComponentRef& ref = stage.objective;
  std::shared_ptr<Objective> objective;
  std::string library;
  if (ref.name == kAutoObjective) {
    objective =
        std::make_shared<AutoObjective>(registry.create<Objective>(kCrossEntropy, ref.options),
                                        registry.create<Objective>(kConsistency, ref.options));
    library = registry.library_of(kCrossEntropy);
  } else {
    objective = registry.create<Objective>(ref.name, ref.options);
    library = registry.library_of(ref.name);
  }
  std::string where = stage.position();
  if (!architecture.empty()) where += ", running architecture '" + architecture + "'";
  return std::make_shared<GuardedObjective>(
      Attributed<Objective>(std::move(objective), ref.name, library, std::move(where)));
}

}  // namespace gear::host
