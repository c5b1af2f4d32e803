#include "random_policy.h"

namespace gear::plugins::offloading {

const OptionBinder<RandomOptions>& RandomPolicy::binder() {
  static const OptionBinder<RandomOptions> binder = [] {
    OptionBinder<RandomOptions> b;
    b.include(&RandomOptions::threshold, threshold_binder());
    b.bind("seed", &RandomOptions::seed, "seed of the draws (restarted at every stream)");
    return b;
  }();
  return binder;
}

OptionSchema RandomPolicy::schema() { return binder().schema(); }

RandomPolicy::RandomPolicy(const Config& options) : RandomPolicy(binder().read(options)) {}

RandomPolicy::RandomPolicy(const RandomOptions& options)
    : ScorePolicy(options.threshold),
      seed_(static_cast<uint64_t>(options.seed)),
      generator_(seed_) {}

void RandomPolicy::start(const OffloadBudget& budget) {
  ScorePolicy::start(budget);
  generator_.seed(seed_);
}

double RandomPolicy::score(const OffloadFrame& /*frame*/) {
  // The top 53 bits as a fraction: the same draws on every standard library, unlike
  // std::uniform_real_distribution.
  return static_cast<double>(generator_() >> 11) * 0x1.0p-53;
}

}  // namespace gear::plugins::offloading
