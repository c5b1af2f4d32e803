#pragma once

/// @file
/// The `corruptions` evaluator: accuracy under the 15 common corruptions at severities 1-5,
/// generated on the fly (batched, seeded) or read from the released CIFAR-10-C / CIFAR-100-C /
/// Tiny-ImageNet-C files, with the mean corruption accuracy and, against a reference run, mCE.

#include <gear/config.h>
#include <gear/evaluator.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cifar_c.h"

namespace gear::plugins {

class CorruptionEvaluator : public Evaluator {
 public:
  explicit CorruptionEvaluator(const Config& options);
  /// The name it is registered under, which the reference run's results are looked up by.
  static constexpr const char* kSuite = "corruptions";
  /// corruptions, severities, precomputed, layout, classes_file, limit.
  static OptionSchema schema();

  /// details: one row per corruption {"severity_1".."severity_5", "mean"} plus "clean";
  /// metrics: robust_accuracy (mean over corruptions and severities, as the AugMix code reports
  /// it), mean_corruption_error (1 - robust_accuracy), and with a reference run (the evaluate
  /// stage's `reference`) mce and relative_mce (percent, normalised by the reference's errors as
  /// in ImageNet-C).
  EvaluationResult evaluate(EvaluationContext& context) override;

 private:
  /// Takes the reference run's accuracies from `context`; throws ConfigError at the stage's
  /// `reference` when that run lacks a corruption or severity this evaluation measures.
  void read_reference(const EvaluationContext& context);
  /// Accuracy of the net on one corruption at one severity. `cifar_reader` is the evaluation's
  /// CIFAR-C reader (opened on first use): it keeps the last .npy file, and evaluate() runs
  /// corruption-major, so each file is parsed once for its severities.
  double accuracy_on(EvaluationContext& context, size_t corruption, int severity,
                     std::optional<robustness::CifarCReader>& cifar_reader);

  std::vector<std::string> corruptions_;
  std::vector<int64_t> severities_;
  std::filesystem::path precomputed_;
  std::string layout_;
  std::vector<std::string> classes_;
  int64_t limit_ = 0;
  /// Reference run's accuracies per corruption and severity, and its clean accuracy.
  std::map<std::string, std::map<std::string, double>> reference_;
  std::optional<double> reference_clean_;
};

}  // namespace gear::plugins
