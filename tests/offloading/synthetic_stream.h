#pragma once

// Synthetic offload streams for the policy tests: frames whose features, sizes, link and
// outcomes are drawn from known rules, run through a policy the way the host's offload stage
// does (change and frames_since_offload measured from the last frame the policy sent).

#include <gear/config.h>
#include <gear/offload_policy.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gear::plugins::offloading::test {

using Overrides = std::vector<std::pair<std::string, Value>>;

// Frames of the traces the budget and ranking tests run.
inline constexpr int64_t kTraceFrames = 10000;

// One frame of a trace, before the policy-dependent features are measured.
struct TraceFrame {
  double max_probability = 1.0;
  double margin = 1.0;
  double entropy = 0.0;
  double appearance = 0.0;  // mean pixel level; change = |appearance - that of the last sent|
  bool scene_cut = false;   // first frame of a scene
  int64_t bytes = 0;
  double link_bits_per_second = 0.0;
};

// `frames` frames of scenes 60 to 140 frames long (appearance jumps by 0.3 to 0.7 at a cut,
// drifts by ~0.005 inside), with max_probability, margin and entropy drawn independently (so
// that each uncertainty policy's choice is distinguishable), 10 to 20 kB per frame and an
// 8 Mbit/s link. Deterministic in `seed`.
std::vector<TraceFrame> synthetic_trace(int64_t frames, uint64_t seed);

// What a policy decided on each frame, and the OffloadFrames it saw.
struct StreamRun {
  std::vector<bool> offloaded;
  std::vector<OffloadFrame> frames;
};

// start(budget) and decide() on every frame of `trace` in order, with change and
// frames_since_offload measured from the last frame offloaded, at `budget.frames_per_second`.
StreamRun run_stream(OffloadPolicy& policy, const std::vector<TraceFrame>& trace,
                     const OffloadBudget& budget);

// start(budget) and decide() on `frames` as given (features fixed in advance).
std::vector<bool> run_frames(OffloadPolicy& policy, const std::vector<OffloadFrame>& frames,
                             const OffloadBudget& budget);

// A Config as the host builds it: every option of `schema` at its default, then `values`
// (which must be declared) as if the user wrote them.
Config make_config(const OptionSchema& schema, const Overrides& values = {});

// The policies of the plugin by name, built from the static library with `values`; `learned`
// comes fitted on learning_examples(4000, 99).
std::shared_ptr<OffloadPolicy> make_policy(const std::string& name, const Overrides& values = {});

// Every policy name the plugin registers.
const std::vector<std::string>& policy_names();

// Examples where offloading gains (cloud right, edge wrong) iff change > 0.5, but for a share
// `noise` of labels flipped; frames with 1 - max_probability > 0.6 and no gain are wrong on both
// nets, the rest right on both: so neither net's correctness alone is the target.
std::vector<OffloadExample> learning_examples(int64_t count, uint64_t seed, double noise = 0.02);

// Area under the ROC curve of `scores` for `labels` (ties count half).
double auc(const std::vector<double>& scores, const std::vector<bool>& labels);

// Offload gain of an example: the target the learned policy is trained on.
inline bool gain(const OffloadExample& e) { return e.cloud_correct && !e.edge_correct; }

// A budget of a fraction of the frames at 30 frames per second.
inline OffloadBudget fraction_budget(double f) {
  OffloadBudget b;
  b.frame_fraction = f;
  return b;
}

// A budget of `bytes_per_second` at 30 frames per second.
inline OffloadBudget byte_budget(double bytes_per_second) {
  OffloadBudget b;
  b.bytes_per_second = bytes_per_second;
  return b;
}

// The share of the `k` highest of `scores` that `chosen` contains, over k (ties by index).
double top_k_overlap(const std::vector<double>& scores, const std::vector<bool>& chosen, size_t k);

}  // namespace gear::plugins::offloading::test
