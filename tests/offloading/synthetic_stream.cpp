#include "synthetic_stream.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "learned_policy.h"
#include "random_policy.h"
#include "uncertainty_policies.h"

namespace gear::plugins::offloading::test {
namespace {

// Portable draws (std:: distributions differ between standard libraries).
class Draws {
 public:
  explicit Draws(uint64_t seed) : generator_(seed) {}
  double uniform() { return static_cast<double>(generator_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {  // Box-Muller
    const double u = std::max(uniform(), 1e-300);
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * uniform());
  }

 private:
  std::mt19937_64 generator_;
};

OffloadFrame frame_of(const TraceFrame& t, int64_t index, double fps) {
  OffloadFrame f;
  f.index = index;
  f.time_seconds = static_cast<double>(index) / fps;
  f.max_probability = t.max_probability;
  f.margin = t.margin;
  f.entropy = t.entropy;
  f.bytes = t.bytes;
  f.link_bits_per_second = t.link_bits_per_second;
  return f;
}

}  // namespace

std::vector<TraceFrame> synthetic_trace(int64_t frames, uint64_t seed) {
  Draws draws(seed);
  std::vector<TraceFrame> trace(static_cast<size_t>(frames));
  double level = draws.uniform();
  int64_t scene_left = 0;
  for (auto& t : trace) {
    if (scene_left == 0) {
      scene_left = 60 + static_cast<int64_t>(draws.uniform() * 81);
      level = std::fmod(level + draws.uniform(0.3, 0.7), 1.0);
      t.scene_cut = true;
    }
    --scene_left;
    level = std::clamp(level + 0.005 * draws.normal(), 0.0, 1.0);
    t.appearance = level;
    t.max_probability = 1.0 - 0.85 * draws.uniform();
    t.margin = draws.uniform();
    t.entropy = draws.uniform();
    t.bytes = 10000 + static_cast<int64_t>(draws.uniform() * 10000);
    t.link_bits_per_second = 8e6;
  }
  return trace;
}

StreamRun run_stream(OffloadPolicy& policy, const std::vector<TraceFrame>& trace,
                     const OffloadBudget& budget) {
  StreamRun run;
  policy.start(budget);
  int64_t last_sent = -1;
  for (size_t i = 0; i < trace.size(); ++i) {
    const auto index = static_cast<int64_t>(i);
    OffloadFrame f = frame_of(trace[i], index, budget.frames_per_second);
    f.change = last_sent < 0
                   ? 1.0
                   : std::min(1.0, std::abs(trace[i].appearance -
                                            trace[static_cast<size_t>(last_sent)].appearance));
    f.frames_since_offload = last_sent < 0 ? index + 1 : index - last_sent;
    const bool offload = policy.decide(f);
    if (offload) last_sent = index;
    run.offloaded.push_back(offload);
    run.frames.push_back(f);
  }
  return run;
}

std::vector<bool> run_frames(OffloadPolicy& policy, const std::vector<OffloadFrame>& frames,
                             const OffloadBudget& budget) {
  policy.start(budget);
  std::vector<bool> out;
  for (const auto& f : frames) out.push_back(policy.decide(f));
  return out;
}

Config make_config(const OptionSchema& schema, const Overrides& values) {
  Config config("offload.policy", {"offload.toml", 1, 1});
  for (const auto& spec : schema.options())
    if (spec.default_value) config.set(spec.name, *spec.default_value, {}, false);
  for (const auto& [name, value] : values) {
    if (schema.find(name) == nullptr) throw std::logic_error("test: no option " + name);
    config.set(name, value, {"offload.toml", 2, 1}, true);
  }
  return config;
}

std::shared_ptr<OffloadPolicy> make_policy(const std::string& name, const Overrides& values) {
  if (name == "confidence")
    return std::make_shared<ConfidencePolicy>(make_config(ConfidencePolicy::schema(), values));
  if (name == "margin")
    return std::make_shared<MarginPolicy>(make_config(MarginPolicy::schema(), values));
  if (name == "entropy")
    return std::make_shared<EntropyPolicy>(make_config(EntropyPolicy::schema(), values));
  if (name == "scene_change")
    return std::make_shared<SceneChangePolicy>(make_config(SceneChangePolicy::schema(), values));
  if (name == "random_offload")
    return std::make_shared<RandomPolicy>(make_config(RandomPolicy::schema(), values));
  if (name == "learned") {
    auto p = std::make_shared<LearnedPolicy>(make_config(LearnedPolicy::schema(), values));
    p->fit(learning_examples(4000, 99));
    return p;
  }
  throw std::logic_error("test: no policy " + name);
}

const std::vector<std::string>& policy_names() {
  static const std::vector<std::string> names = {"confidence",   "margin",         "entropy",
                                                 "scene_change", "random_offload", "learned"};
  return names;
}

std::vector<OffloadExample> learning_examples(int64_t count, uint64_t seed, double noise) {
  Draws draws(seed);
  std::vector<OffloadExample> out(static_cast<size_t>(count));
  for (auto& e : out) {
    OffloadFrame& f = e.frame;
    const double uncertainty = draws.uniform();
    f.max_probability = 1.0 - 0.9 * uncertainty;
    f.margin = std::max(0.0, 1.0 - 1.2 * uncertainty + 0.1 * draws.normal());
    f.entropy = std::clamp(uncertainty + 0.1 * draws.normal(), 0.0, 1.0);
    f.change = draws.uniform();
    f.frames_since_offload = 1;
    f.bytes = 10000 + static_cast<int64_t>(draws.uniform() * 10000);
    f.link_bits_per_second = 8e6;
    bool gains = f.change > 0.5;
    if (draws.uniform() < noise) gains = !gains;
    const bool hard = 1.0 - f.max_probability > 0.6;
    e.edge_correct = !gains && !hard;
    e.cloud_correct = gains || !hard;
  }
  return out;
}

double auc(const std::vector<double>& scores, const std::vector<bool>& labels) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney: the positives' mid-ranks.
  double positive_ranks = 0.0, positives = 0.0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mid = 0.5 * static_cast<double>(i + j - 1) + 1.0;
    for (size_t k = i; k < j; ++k)
      if (labels[order[k]]) positive_ranks += mid, positives += 1.0;
    i = j;
  }
  const double negatives = static_cast<double>(scores.size()) - positives;
  return (positive_ranks - positives * (positives + 1.0) / 2.0) / (positives * negatives);
}

double top_k_overlap(const std::vector<double>& scores, const std::vector<bool>& chosen, size_t k) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  size_t hits = 0;
  for (size_t i = 0; i < k; ++i) hits += chosen[order[i]] ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(k);
}

}  // namespace gear::plugins::offloading::test
