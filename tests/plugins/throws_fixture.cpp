// Registration throws after registering one component: nothing of it may stay registered.

#include <stdexcept>

#include "gear/gear.h"

namespace {
class Dummy final : public gear::Augmentation {
 public:
  explicit Dummy(const gear::Config&) {}
  static gear::OptionSchema schema() { return {}; }
  gear::AugmentedBatch augment(const torch::Tensor& images, torch::Generator&) override {
    return {{images}, 0.0};
  }
};
}  // namespace

GEAR_PLUGIN("gear-fixture-throws", "0.0.1", "throws during registration") {
  r.add_augmentation<Dummy>("fixture-half-registered", "must be rolled back");
  throw std::runtime_error("registration boom");
}
