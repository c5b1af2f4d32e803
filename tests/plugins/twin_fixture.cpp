// Registers a name the good fixture already uses.

#include "gear/gear.h"

namespace {
class Again final : public gear::Augmentation {
 public:
  explicit Again(const gear::Config&) {}
  static gear::OptionSchema schema() { return {}; }
  gear::AugmentedBatch augment(const torch::Tensor& images, torch::Generator&) override {
    return {{images}, 0.0};
  }
};
}  // namespace

GEAR_PLUGIN("gear-fixture-twin", "0.0.1", "duplicate name") {
  r.add_augmentation<Again>("fixture-identity", "clashes with the good fixture");
}
