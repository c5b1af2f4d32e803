// A well-formed plugin used by the loader and e2e tests: an identity augmentation, one that
// throws when called, and a growth strategy that duplicates the first channel of every group.

#include <stdexcept>

#include "gear/gear.h"

namespace {

class IdentityAugmentation final : public gear::Augmentation {
 public:
  explicit IdentityAugmentation(const gear::Config&) {}
  static gear::OptionSchema schema() {
    return gear::OptionSchema().add_int("strength", 1, "unused").range(0, 5);
  }
  gear::AugmentedBatch augment(const torch::Tensor& images, torch::Generator&) override {
    return {{images}, 0.0};
  }
};

class ThrowingAugmentation final : public gear::Augmentation {
 public:
  explicit ThrowingAugmentation(const gear::Config&) {}
  static gear::OptionSchema schema() { return {}; }
  gear::AugmentedBatch augment(const torch::Tensor&, torch::Generator&) override {
    throw std::runtime_error("fixture augmentation exploded");
  }
};

class DuplicateFirst final : public gear::GrowthStrategy {
 public:
  explicit DuplicateFirst(const gear::Config&) {}
  static gear::OptionSchema schema() { return {}; }
  gear::GrowthResult grow(gear::GrowableNet& net, gear::GrowthContext&) override {
    gear::GrowthResult result;
    for (const auto& group : net.groups()) {
      bool grow = group.growable;
      if (grow) net.duplicate(group.name, {0});
      result.split.push_back(grow ? 1 : 0);
      result.fresh.push_back(0);
    }
    return result;
  }
};

}  // namespace

GEAR_PLUGIN("gear-fixture-good", "1.2.3", "test fixture") {
  r.add_augmentation<IdentityAugmentation>("fixture-identity", "returns the batch unchanged");
  r.add_augmentation<ThrowingAugmentation>("fixture-throwing", "throws when called");
  r.add_growth<DuplicateFirst>("fixture-duplicate", "duplicates channel 0 of every group");
}
