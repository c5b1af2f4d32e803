#include "gear/registrar.h"

namespace gear {

const char* to_string(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kArchitecture: return "architecture";
    case ComponentKind::kDataset: return "dataset";
    case ComponentKind::kAugmentation: return "augmentation";
    case ComponentKind::kGrowthStrategy: return "growth";
    case ComponentKind::kEvaluator: return "evaluator";
  }
  return "?";
}

}  // namespace gear
