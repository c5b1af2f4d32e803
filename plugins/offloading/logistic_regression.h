#pragma once

/// @file
/// Weighted, L2-regularised logistic regression fitted by Newton's method: the learned offload
/// policy's head. Convex, so the fit is the unique optimum, reached in a few iterations without
/// a learning rate or a seed.

#include <cstdint>
#include <vector>

namespace gear::plugins::offloading {

/// p(y = 1 | x) = sigmoid(weights . x + bias).
struct LogisticModel {
  std::vector<double> weights;
  double bias = 0.0;

  /// The predicted probability for `x` (borrowed; as many values as weights).
  double probability(const double* x) const;
};

/// What to fit.
struct LogisticProblem {
  int64_t features = 0;
  std::vector<double> x;        ///< [examples * features], row-major
  std::vector<double> y;        ///< [examples], 0 or 1
  std::vector<double> weights;  ///< [examples], positive
};

/// Minimises sum_i w_i logloss_i / sum_i w_i + l2 / 2 * |weights|^2 (the bias is not
/// penalised, so without balancing the mean prediction equals the mean target) over at most
/// `iterations` damped Newton steps, stopping when a step changes no parameter by more than
/// 1e-10. Throws std::invalid_argument for inconsistent sizes.
LogisticModel fit_logistic(const LogisticProblem& problem, double l2, int64_t iterations);

}  // namespace gear::plugins::offloading
