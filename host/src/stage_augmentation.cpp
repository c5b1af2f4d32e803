#include "gear/host/stage_augmentation.h"

#include <string>
#include <utility>

#include "gear/host/attributed.h"

namespace gear::host {
namespace {

// Runs an augmentation plugin with errors attributed to it and to the stage.
class GuardedAugmentation final : public Augmentation {
 public:
  explicit GuardedAugmentation(Attributed<Augmentation> inner) : inner_(std::move(inner)) {}
  AugmentedBatch augment(const torch::Tensor& images, torch::Generator& generator) override {
    AugmentedBatch out;
    inner_.call([&](Augmentation& a) { out = a.augment(images, generator); });
    return out;
  }

 private:
  Attributed<Augmentation> inner_;
};

}  // namespace

std::shared_ptr<Augmentation> stage_augmentation(const StageSpec& stage, const Registry& registry) {
  if (stage.augmentation.name.empty()) return nullptr;
  return std::make_shared<GuardedAugmentation>(Attributed<Augmentation>(
      registry.create<Augmentation>(stage.augmentation.name, stage.augmentation.options),
      stage.augmentation.name, registry.library_of(stage.augmentation.name), stage.position()));
}

}  // namespace gear::host
