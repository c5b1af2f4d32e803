#include "learned_policy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gear::plugins::offloading {

std::array<double, kLearnedFeatures> offload_features(const OffloadFrame& frame) {
  // Per frame of this size, so that the link and the queue read the same for any resolution.
  const double bytes = static_cast<double>(std::max<int64_t>(frame.bytes, 1));
  return {1.0 - frame.max_probability,
          1.0 - frame.margin,
          frame.entropy,
          frame.change,
          std::log1p(static_cast<double>(std::max<int64_t>(frame.frames_since_offload, 0))),
          std::log1p(std::max(frame.link_bits_per_second, 0.0) / 8.0 / bytes),
          std::log1p(static_cast<double>(std::max<int64_t>(frame.queued_bytes, 0)) / bytes)};
}

const OptionBinder<LearnedOptions>& LearnedPolicy::binder() {
  static const OptionBinder<LearnedOptions> binder = [] {
    OptionBinder<LearnedOptions> b;
    b.include(&LearnedOptions::threshold, threshold_binder());
    b.bind("l2", &LearnedOptions::l2,
           "L2 penalty on the head's weights (standardised features; the bias is free)")
        .range(0.0, 1e6);
    b.bind("balance", &LearnedOptions::balance,
           "weigh the two classes equally (gains are usually rare), so the head ranks rather "
           "than predicting the majority");
    b.bind("iterations", &LearnedOptions::iterations, "most Newton steps of the fit")
        .range(1, 1000);
    return b;
  }();
  return binder;
}

OptionSchema LearnedPolicy::schema() { return binder().schema(); }

LearnedPolicy::LearnedPolicy(const Config& options) : LearnedPolicy(binder().read(options)) {}

LearnedPolicy::LearnedPolicy(const LearnedOptions& options)
    : ScorePolicy(options.threshold), options_(options) {}

void LearnedPolicy::fit(const std::vector<OffloadExample>& examples) {
  if (examples.empty())
    throw std::invalid_argument("learned offload policy: fit() got no training examples");
  const size_t n = examples.size();
  const auto d = static_cast<size_t>(kLearnedFeatures);
  LogisticProblem problem;
  problem.features = kLearnedFeatures;
  problem.x.resize(n * d);
  problem.y.resize(n);
  size_t positives = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto f = offload_features(examples[i].frame);
    std::copy(f.begin(), f.end(), problem.x.begin() + static_cast<std::ptrdiff_t>(i * d));
    const bool gain = examples[i].cloud_correct && !examples[i].edge_correct;
    problem.y[i] = gain ? 1.0 : 0.0;
    positives += gain ? 1 : 0;
  }
  if (positives == 0 || positives == n)
    throw std::invalid_argument(
        "learned offload policy: all " + std::to_string(n) + " training frames have target " +
        (positives == 0 ? "0" : "1") +
        " (target: the cloud net right and the edge net wrong); fit() needs both classes");

  std::array<double, kLearnedFeatures> mean{}, scale{};
  for (size_t j = 0; j < d; ++j) {
    double sum = 0.0, square = 0.0;
    for (size_t i = 0; i < n; ++i) sum += problem.x[i * d + j];
    mean[j] = sum / static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) square += std::pow(problem.x[i * d + j] - mean[j], 2);
    const double sd = std::sqrt(square / static_cast<double>(n));
    // A constant feature carries nothing; leave it at 0 rather than divide by 0.
    scale[j] = sd > 1e-12 ? 1.0 / sd : 0.0;
    for (size_t i = 0; i < n; ++i)
      problem.x[i * d + j] = (problem.x[i * d + j] - mean[j]) * scale[j];
  }
  // Balanced: each class weighs half of the total, whatever its size.
  const double positive_weight =
      options_.balance ? static_cast<double>(n) / (2.0 * static_cast<double>(positives)) : 1.0;
  const double negative_weight =
      options_.balance ? static_cast<double>(n) / (2.0 * static_cast<double>(n - positives)) : 1.0;
  problem.weights.resize(n);
  for (size_t i = 0; i < n; ++i)
    problem.weights[i] = problem.y[i] > 0.5 ? positive_weight : negative_weight;

  model_ = fit_logistic(problem, options_.l2, options_.iterations);
  mean_ = mean;
  scale_ = scale;
  fitted_ = true;
}

double LearnedPolicy::score(const OffloadFrame& frame) {
  if (!fitted_) throw std::logic_error("learned offload policy: decide() before fit()");
  auto x = offload_features(frame);
  for (size_t j = 0; j < x.size(); ++j) x[j] = (x[j] - mean_[j]) * scale_[j];
  return model_.probability(x.data());
}

}  // namespace gear::plugins::offloading
