#include "gear/host/checkpoint_policy.h"

#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace gear::host {

namespace {

bool read_policy(const std::string& text, CheckpointPolicy& policy, std::string& error) {
  if (text == "off") {
    policy = {0, 0.0};
    return true;
  }
  const char* begin = text.c_str();
  char* end = nullptr;
  const double n = std::strtod(begin, &end);
  std::string unit(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  if (end == begin || !std::isfinite(n) || n <= 0) {
    error =
        "expected a positive number and a unit (\"1 epoch\", \"5 epochs\", \"10 min\", "
        "\"90 s\") or \"off\", got \"" +
        text + "\"";
    return false;
  }
  if (unit == "epoch" || unit == "epochs") {
    if (n != std::floor(n) || n > 1e9) {
      error = "a whole number of epochs, got \"" + text + "\"";
      return false;
    }
    policy = {static_cast<int64_t>(n), 0.0};
    return true;
  }
  if (unit == "min" || unit == "s") {
    policy = {0, unit == "min" ? 60.0 * n : n};
    return true;
  }
  error = "unknown unit \"" + unit + "\" in \"" + text + "\"; use epochs, min or s";
  return false;
}

}  // namespace

CheckpointPolicy parse_checkpoint_policy(const std::string& text) {
  CheckpointPolicy policy;
  std::string error;
  if (!read_policy(text, policy, error)) throw std::invalid_argument(error);
  return policy;
}

std::string checkpoint_policy_error(const std::string& text) {
  CheckpointPolicy policy;
  std::string error;
  read_policy(text, policy, error);
  return error;
}

}  // namespace gear::host
