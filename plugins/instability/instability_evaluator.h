#pragma once

#include <gear/evaluator.h>
#include <gear/options.h>

#include <string>
#include <vector>

namespace gear::plugins::instability {

/// The instability suite's options, declared once.
struct InstabilityOptions {
  std::vector<std::string> profiles;  ///< empty: every profile but the canonicalisers
  std::string reference;              ///< empty: the first lossless profile
  std::string canonical = "canonical";
  std::string missing = "exclude";
  int64_t captures = 1;
  std::vector<std::string> variant_precisions = {"int8"};
  bool write_csv = true;
};

/// Cross-device prediction instability: the evaluate stage's images through each of the
/// pipeline's device profiles (codec, ISP, sensor, geometry, precision), the net's top-1 labels
/// compared across them: set, pairwise, against-reference and correctness instability, mean
/// KL, per class; the same with test-time canonicalisation; repeated captures (temporal
/// instability); and across model variants (this net in fp32, quantized, and the stage's
/// `variants`) on the same clean images. Per-image outcomes go to a CSV.
class InstabilityEvaluator final : public Evaluator {
 public:
  /// Reads the options from `options` (borrowed for the call; kept as a copy for errors).
  explicit InstabilityEvaluator(const Config& options);
  static OptionSchema schema();
  static const OptionBinder<InstabilityOptions>& binder();
  EvaluationResult evaluate(EvaluationContext& context) override;

 private:
  InstabilityOptions options_;
  Config config_;
};

}  // namespace gear::plugins::instability
