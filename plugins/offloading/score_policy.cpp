#include "score_policy.h"

namespace gear::plugins::offloading {

OptionSchema ScorePolicy::schema() { return threshold_binder().schema(); }

ScorePolicy::ScorePolicy(const ThresholdOptions& options) : threshold_(options) {}

void ScorePolicy::start(const OffloadBudget& budget) { threshold_.start(budget); }

bool ScorePolicy::decide(const OffloadFrame& frame) {
  return threshold_.admit(score(frame), frame);
}

}  // namespace gear::plugins::offloading
