#include "logistic_regression.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace gear::plugins::offloading {
namespace {

double sigmoid(double z) {
  // Split by sign so that exp never overflows.
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// log(1 + exp(z)), without overflow.
double softplus(double z) {
  return z > 0.0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
}

// theta = [weights..., bias]; the regularised, weighted mean log-loss.
double objective(const LogisticProblem& p, const std::vector<double>& theta, double l2) {
  const auto d = static_cast<size_t>(p.features);
  const size_t n = p.y.size();
  double loss = 0.0, total = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double z = theta[d];
    for (size_t j = 0; j < d; ++j) z += theta[j] * p.x[i * d + j];
    // -log sigmoid(z) for y = 1, -log(1 - sigmoid(z)) for y = 0.
    loss += p.weights[i] * (p.y[i] > 0.5 ? softplus(-z) : softplus(z));
    total += p.weights[i];
  }
  double penalty = 0.0;
  for (size_t j = 0; j < d; ++j) penalty += theta[j] * theta[j];
  return loss / total + 0.5 * l2 * penalty;
}

// Solves a x = b for symmetric positive definite `a` (m x m, row-major) by Cholesky, in place.
std::vector<double> solve_spd(std::vector<double> a, std::vector<double> b, size_t m) {
  for (size_t j = 0; j < m; ++j) {
    double diag = a[j * m + j];
    for (size_t k = 0; k < j; ++k) diag -= a[j * m + k] * a[j * m + k];
    diag = std::sqrt(std::max(diag, 1e-300));
    a[j * m + j] = diag;
    for (size_t i = j + 1; i < m; ++i) {
      double v = a[i * m + j];
      for (size_t k = 0; k < j; ++k) v -= a[i * m + k] * a[j * m + k];
      a[i * m + j] = v / diag;
    }
  }
  for (size_t i = 0; i < m; ++i) {  // L y = b
    for (size_t k = 0; k < i; ++k) b[i] -= a[i * m + k] * b[k];
    b[i] /= a[i * m + i];
  }
  for (size_t i = m; i-- > 0;) {  // L^T x = y
    for (size_t k = i + 1; k < m; ++k) b[i] -= a[k * m + i] * b[k];
    b[i] /= a[i * m + i];
  }
  return b;
}

}  // namespace

double LogisticModel::probability(const double* x) const {
  double z = bias;
  for (size_t j = 0; j < weights.size(); ++j) z += weights[j] * x[j];
  return sigmoid(z);
}

LogisticModel fit_logistic(const LogisticProblem& p, double l2, int64_t iterations) {
  const auto d = static_cast<size_t>(p.features);
  const size_t n = p.y.size();
  if (p.features < 1 || n == 0 || p.x.size() != n * d || p.weights.size() != n)
    throw std::invalid_argument("fit_logistic: inconsistent problem sizes");
  const size_t m = d + 1;  // the bias is the last parameter
  std::vector<double> theta(m, 0.0);
  double total = 0.0;
  for (double w : p.weights) total += w;
  double current = objective(p, theta, l2);
  for (int64_t it = 0; it < iterations; ++it) {
    std::vector<double> gradient(m, 0.0), hessian(m * m, 0.0);
    std::vector<double> row(m, 1.0);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < d; ++j) row[j] = p.x[i * d + j];
      double z = 0.0;
      for (size_t j = 0; j < m; ++j) z += theta[j] * row[j];
      const double prob = sigmoid(z);
      const double w = p.weights[i] / total;
      const double g = w * (prob - p.y[i]);
      const double h = w * prob * (1.0 - prob);
      for (size_t j = 0; j < m; ++j) {
        gradient[j] += g * row[j];
        for (size_t k = 0; k <= j; ++k) hessian[j * m + k] += h * row[j] * row[k];
      }
    }
    for (size_t j = 0; j < m; ++j) {
      for (size_t k = 0; k < j; ++k) hessian[k * m + j] = hessian[j * m + k];
      // A tiny ridge on the bias too keeps the system solvable once predictions saturate.
      hessian[j * m + j] += j < d ? l2 : 1e-12;
      if (j < d) gradient[j] += l2 * theta[j];
    }
    const std::vector<double> direction = solve_spd(hessian, gradient, m);
    // Halve the Newton step until the objective does not rise: the full step can overshoot
    // far from the optimum.
    double scale = 1.0, next = current;
    std::vector<double> candidate(m);
    for (int halving = 0; halving < 40; ++halving, scale *= 0.5) {
      for (size_t j = 0; j < m; ++j) candidate[j] = theta[j] - scale * direction[j];
      next = objective(p, candidate, l2);
      if (next <= current) break;
    }
    if (!(next <= current)) break;  // no descent left: at the optimum to rounding
    double largest = 0.0;
    for (size_t j = 0; j < m; ++j) largest = std::max(largest, std::abs(candidate[j] - theta[j]));
    theta = candidate;
    current = next;
    if (largest < 1e-10) break;
  }
  LogisticModel model;
  model.weights.assign(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(d));
  model.bias = theta[d];
  return model;
}

}  // namespace gear::plugins::offloading
