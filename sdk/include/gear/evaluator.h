#pragma once

/// @file
/// Evaluators measure a trained net beyond clean accuracy: robustness suites, instability, ...
/// An evaluate stage names them in `suites = [...]`.

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gear/component_kind.h"
#include "gear/device_profile.h"

namespace gear {

/// What an evaluator measured, copied into stages.json and summary.json under the suite's name.
struct EvaluationResult {
  /// Headline figures, written as `final.<suite>.<key>` ("robust_accuracy", "mce"). The names
  /// "details" and "seconds" are the host's.
  std::map<std::string, double> metrics;
  /// Detail tables, written as `final.<suite>.details.<row>.<column>` ("gaussian_noise" ->
  /// {"severity_1": 0.91, ..., "mean": 0.85}).
  std::map<std::string, std::map<std::string, double>> details;
};

/// What the host offers an evaluator. Borrowed for the call to evaluate().
class EvaluationContext {
 public:
  virtual ~EvaluationContext() = default;
  /// The device the net lives on.
  virtual torch::Device device() const = 0;
  /// The split being evaluated: uint8 images [N, C, H, W] on device(), owned by the host.
  virtual const torch::Tensor& images() const = 0;
  /// Its int64 labels [N] on device(), owned by the host.
  virtual const torch::Tensor& labels() const = 0;
  /// Predicted classes (int64 [N], on device()) for `images` [N, C, H, W]: uint8, or float in
  /// [0, 1]. The host batches, moves, normalises as the pipeline does and runs the net in eval mode
  /// without gradients. `images` is borrowed for the call.
  virtual torch::Tensor predict(const torch::Tensor& images) = 0;
  /// The pipeline's evaluation batch size: how many images to corrupt or transform at once.
  virtual int64_t batch_size() const = 0;
  /// A generator on device() seeded from the run's seed and `stream`, so each named set of draws
  /// (one per corruption and severity, say) repeats whatever else the suite runs.
  virtual torch::Generator make_generator(uint64_t stream) const = 0;
  /// The dataset plugin's name ("fashion-mnist", "cifar10", ...), for suites with
  /// dataset-specific assets such as the released CIFAR-10-C files.
  virtual std::string dataset() const = 0;
  /// The names of the net's classes, by label (the dataset's, or those data.classes kept).
  /// Since SDK 0.8.
  virtual std::vector<std::string> class_names() const = 0;
  /// Reports progress (one short line; the host logs it).
  virtual void log(const std::string& message) = 0;
  /// What the evaluate stage's reference run (its `reference` key) measured with the suite
  /// named `suite` on its final weights, or nullptr when the stage names no reference run or
  /// that run did not evaluate the suite. The suite "clean" has the metric "accuracy". The
  /// result is owned by the host and lives until evaluate() returns.
  virtual const EvaluationResult* reference(const std::string& suite) const = 0;

  /// Logits (float [N, classes] on device()) for `images` [N, C, H, W] (uint8 or float in
  /// [0, 1], borrowed), computed as predict() does but at `precision`. Throws
  /// std::invalid_argument for a precision this device cannot run (fp16 on a CPU). Since SDK 0.8.
  virtual torch::Tensor logits(const torch::Tensor& images, Precision precision) = 0;
  /// The pipeline's device profiles (its [[device]] tables, or the built-in phone-like bank),
  /// owned by the host and alive for the run. Since SDK 0.8.
  virtual const DeviceBank& devices() const = 0;
  /// Names of the other nets the evaluate stage compares this one with (its `variants` table:
  /// a grown, a pruned net), in the order written; empty when it names none. Since SDK 0.8.
  virtual std::vector<std::string> variants() const = 0;
  /// Logits (float [N, classes] on device()) of the variant net named `variant` for `images`
  /// (borrowed), in fp32. Throws std::invalid_argument for a name variants() does not list.
  virtual torch::Tensor variant_logits(const std::string& variant, const torch::Tensor& images) = 0;
  /// Path of a file named `name` ("instability.csv") that the suite may write into the run's
  /// folder, prefixed with the stage's label so that stages do not collide. Since SDK 0.8.
  virtual std::string output_path(const std::string& name) const = 0;
};

/// An evaluation suite. Created once per evaluate stage from its options.
class Evaluator {
 public:
  virtual ~Evaluator() = default;
  /// Evaluates the host's net through `context` (borrowed for the call).
  virtual EvaluationResult evaluate(EvaluationContext& context) = 0;
};

}  // namespace gear

GEAR_COMPONENT_KIND(gear::Evaluator, "evaluator",
                    "an evaluation suite: an evaluate stage's suites = [...]");
