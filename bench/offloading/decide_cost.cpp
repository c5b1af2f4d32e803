// Times OffloadPolicy::decide() per frame for every offload policy over a synthetic stream and
// prints one JSON line per policy and budget with the nanoseconds per decision. Usage:
//   gear_bench_offloading [FRAMES [REPEATS]]   (defaults: 100000 frames, 5 repeats)
// The first pass warms up and is not timed; the best of REPEATS timed passes is reported. The
// features are computed in advance, as the host does, so only the policy's own work is timed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "learned_policy.h"
#include "random_policy.h"
#include "uncertainty_policies.h"

namespace {

using namespace gear::plugins::offloading;

gear::Config defaults(const gear::OptionSchema& schema) {
  gear::Config config("bench.offload", {"bench", 1, 1});
  for (const auto& spec : schema.options())
    if (spec.default_value) config.set(spec.name, *spec.default_value, {}, false);
  return config;
}

std::vector<gear::OffloadFrame> stream(int64_t count) {
  std::mt19937_64 generator(7);
  auto uniform = [&] { return static_cast<double>(generator() >> 11) * 0x1.0p-53; };
  std::vector<gear::OffloadFrame> frames(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    gear::OffloadFrame& f = frames[static_cast<size_t>(i)];
    f.index = i;
    f.time_seconds = static_cast<double>(i) / 30.0;
    f.max_probability = 1.0 - 0.9 * uniform();
    f.margin = uniform();
    f.entropy = uniform();
    f.change = uniform() < 0.01 ? 0.5 + 0.5 * uniform() : 0.02 * uniform();
    f.frames_since_offload = 1 + static_cast<int64_t>(10 * uniform());
    f.bytes = 10000 + static_cast<int64_t>(10000 * uniform());
    f.link_bits_per_second = 8e6;
  }
  return frames;
}

std::vector<gear::OffloadExample> examples(const std::vector<gear::OffloadFrame>& frames) {
  std::vector<gear::OffloadExample> out;
  for (size_t i = 0; i < std::min<size_t>(frames.size(), 5000); ++i) {
    gear::OffloadExample e;
    e.frame = frames[i];
    const bool gain = frames[i].change + (1.0 - frames[i].max_probability) > 0.6;
    e.cloud_correct = gain || i % 3 == 0;
    e.edge_correct = !gain;
    out.push_back(e);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t count = argc > 1 ? std::atoll(argv[1]) : 100000;
  const int64_t repeats = argc > 2 ? std::atoll(argv[2]) : 5;
  if (count < 1 || repeats < 1) {
    std::fprintf(stderr, "usage: %s [FRAMES [REPEATS]]\n", argv[0]);
    return 2;
  }
  const std::vector<gear::OffloadFrame> frames = stream(count);
  struct Entry {
    std::string name;
    std::shared_ptr<gear::OffloadPolicy> policy;
  };
  std::vector<Entry> policies = {
      {"confidence", std::make_shared<ConfidencePolicy>(defaults(ConfidencePolicy::schema()))},
      {"margin", std::make_shared<MarginPolicy>(defaults(MarginPolicy::schema()))},
      {"entropy", std::make_shared<EntropyPolicy>(defaults(EntropyPolicy::schema()))},
      {"scene_change", std::make_shared<SceneChangePolicy>(defaults(SceneChangePolicy::schema()))},
      {"random_offload", std::make_shared<RandomPolicy>(defaults(RandomPolicy::schema()))},
      {"learned", std::make_shared<LearnedPolicy>(defaults(LearnedPolicy::schema()))}};
  policies.back().policy->fit(examples(frames));
  gear::OffloadBudget by_frames, by_bytes;
  by_frames.frame_fraction = 0.2;
  by_bytes.bytes_per_second = 90000.0;
  for (const auto& [name, policy] : policies) {
    for (const auto& [budget_name, budget] : {std::make_pair("frame_fraction", by_frames),
                                              std::make_pair("bytes_per_second", by_bytes)}) {
      int64_t sent = 0;
      auto pass = [&] {
        policy->start(budget);
        sent = 0;
        for (const auto& f : frames) sent += policy->decide(f) ? 1 : 0;
      };
      pass();
      double best = 1e30;
      for (int64_t r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        pass();
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
      std::printf(
          "{\"policy\": \"%s\", \"budget\": \"%s\", \"frames\": %lld, \"offloaded\": %lld, "
          "\"ns_per_decision\": %.1f}\n",
          name.c_str(), budget_name, static_cast<long long>(count), static_cast<long long>(sent),
          best * 1e9 / static_cast<double>(count));
    }
  }
  return 0;
}
