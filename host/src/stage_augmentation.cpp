#include "gear/host/stage_augmentation.h"

#include <string>
#include <utility>

namespace gear::host {
namespace {

// Runs an augmentation plugin with errors attributed to it and to the stage.
class GuardedAugmentation final : public Augmentation {
 public:
  GuardedAugmentation(std::shared_ptr<Augmentation> inner, std::string name, std::string library,
                      std::string where)
      : inner_(std::move(inner)),
        name_(std::move(name)),
        library_(std::move(library)),
        where_(std::move(where)) {}
  AugmentedBatch augment(const torch::Tensor& images, torch::Generator& generator) override {
    AugmentedBatch out;
    call_plugin(name_, library_, where_, [&] { out = inner_->augment(images, generator); });
    return out;
  }

 private:
  std::shared_ptr<Augmentation> inner_;
  std::string name_, library_, where_;
};

}  // namespace

std::shared_ptr<Augmentation> stage_augmentation(const StageSpec& stage, const Registry& registry) {
  if (stage.augmentation.name.empty()) return nullptr;
  const ComponentEntry* entry = registry.find(stage.augmentation.name);
  return std::make_shared<GuardedAugmentation>(
      registry.create<Augmentation>(stage.augmentation.name, stage.augmentation.options),
      stage.augmentation.name, entry->library,
      stage.where.str() + " (stage " + std::to_string(stage.index) + ")");
}

}  // namespace gear::host
