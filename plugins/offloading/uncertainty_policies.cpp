#include "uncertainty_policies.h"

namespace gear::plugins::offloading {

ConfidencePolicy::ConfidencePolicy(const Config& options)
    : ScorePolicy(threshold_binder().read(options)) {}

double ConfidencePolicy::score(const OffloadFrame& frame) { return 1.0 - frame.max_probability; }

MarginPolicy::MarginPolicy(const Config& options) : ScorePolicy(threshold_binder().read(options)) {}

double MarginPolicy::score(const OffloadFrame& frame) { return 1.0 - frame.margin; }

EntropyPolicy::EntropyPolicy(const Config& options)
    : ScorePolicy(threshold_binder().read(options)) {}

double EntropyPolicy::score(const OffloadFrame& frame) { return frame.entropy; }

SceneChangePolicy::SceneChangePolicy(const Config& options)
    : ScorePolicy(threshold_binder().read(options)) {}

double SceneChangePolicy::score(const OffloadFrame& frame) { return frame.change; }

}  // namespace gear::plugins::offloading
