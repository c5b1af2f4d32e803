#pragma once

#include <gear/config.h>
#include <gear/objective.h>

namespace gear::plugins::objectives {

/// Cross-entropy with label smoothing on the batch's first view: a plain classifier's loss.
class CrossEntropy final : public Objective {
 public:
  /// Reads `label_smoothing` from `options` (borrowed for the call).
  explicit CrossEntropy(const Config& options);
  static OptionSchema schema();
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override;

 private:
  double label_smoothing_;
};

}  // namespace gear::plugins::objectives
