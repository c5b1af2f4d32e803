// An augmentation that fails on purpose in the n-th call of a run: a segfault, an abort, a
// throw, or NaN images (which give a NaN loss). The fault tests run gearhost with it.

#include <csignal>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "gear/gear.h"

namespace {

class FaultAugmentation final : public gear::Augmentation {
 public:
  explicit FaultAugmentation(const gear::Config& config)
      : fault_(config.get<std::string>("fault")), call_(config.get<int64_t>("call")) {}

  static gear::OptionSchema schema() {
    return gear::OptionSchema()
        .add_string("fault", "segv", "segv, abort, throw or nan")
        .add_int("call", 3, "the call (1-based) that fails");
  }

  gear::AugmentedBatch augment(const torch::Tensor& images, torch::Generator&) override {
    if (++calls_ == call_) {
      if (fault_ == "segv") {
        volatile int* nowhere = nullptr;
        *nowhere = 1;
      }
      if (fault_ == "abort") std::abort();
      if (fault_ == "throw") throw std::runtime_error("fixture fault in augment()");
      if (fault_ == "nan")
        return {{torch::full(images.sizes(), std::numeric_limits<float>::quiet_NaN())}, 0.0};
    }
    return {{images}, 0.0};
  }

 private:
  std::string fault_;
  int64_t call_;
  int64_t calls_ = 0;
};

}  // namespace

GEAR_PLUGIN("gear-fixture-fault", "0.0.1", "an augmentation that fails on purpose") {
  r.add_augmentation<FaultAugmentation>("fixture-fault",
                                        "fails in its n-th call: segv, abort, "
                                        "throw or nan");
}
