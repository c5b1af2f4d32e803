// What each score-based policy offloads: its own score's definition, the highest-scoring frames
// under a fraction (against the ideal top-k set), scene cuts for scene_change, and draws
// independent of the frames, seeded, for random.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "random_policy.h"
#include "synthetic_stream.h"
#include "uncertainty_policies.h"

namespace gear::plugins::offloading::test {
namespace {

// The three uncertainty scores of each frame a run saw.
struct Scores {
  std::vector<double> confidence, margin, entropy;
};

Scores scores_of(const StreamRun& run) {
  Scores s;
  for (const auto& f : run.frames) {
    s.confidence.push_back(1.0 - f.max_probability);
    s.margin.push_back(1.0 - f.margin);
    s.entropy.push_back(f.entropy);
  }
  return s;
}

TEST(Scores, AreTheDocumentedFeatures) {
  OffloadFrame f;
  f.max_probability = 0.7;
  f.margin = 0.25;
  f.entropy = 0.4;
  f.change = 0.65;
  EXPECT_DOUBLE_EQ(ConfidencePolicy(make_config(ConfidencePolicy::schema())).score(f), 0.3);
  EXPECT_DOUBLE_EQ(MarginPolicy(make_config(MarginPolicy::schema())).score(f), 0.75);
  EXPECT_DOUBLE_EQ(EntropyPolicy(make_config(EntropyPolicy::schema())).score(f), 0.4);
  EXPECT_DOUBLE_EQ(SceneChangePolicy(make_config(SceneChangePolicy::schema())).score(f), 0.65);
}

class Ranking : public ::testing::TestWithParam<std::string> {};

TEST_P(Ranking, OffloadsTheTopScoringFramesOfItsOwnScore) {
  const std::string name = GetParam();
  const double f = 0.2;
  auto policy = make_policy(name);
  const StreamRun run = run_stream(*policy, synthetic_trace(kTraceFrames, 21), fraction_budget(f));
  const Scores s = scores_of(run);
  const auto k = static_cast<size_t>(f * kTraceFrames);
  const double own = top_k_overlap(name == "confidence" ? s.confidence
                                   : name == "margin"   ? s.margin
                                                        : s.entropy,
                                   run.offloaded, k);
  // The scores are drawn independently, so another policy's top k holds about f of them.
  const double other =
      top_k_overlap(name == "entropy" ? s.confidence : s.entropy, run.offloaded, k);
  EXPECT_GT(own, 0.8) << name;
  EXPECT_LT(other, 0.3) << name;
}

INSTANTIATE_TEST_SUITE_P(Uncertainty, Ranking,
                         ::testing::Values("confidence", "margin", "entropy"));

TEST(Ranking, SentFramesScoreHigherThanTheRest) {
  auto policy = make_policy("confidence");
  const StreamRun run =
      run_stream(*policy, synthetic_trace(kTraceFrames, 22), fraction_budget(0.1));
  double sent = 0.0, kept = 0.0, n_sent = 0.0;
  for (size_t i = 0; i < run.frames.size(); ++i) {
    const double s = 1.0 - run.frames[i].max_probability;
    (run.offloaded[i] ? sent : kept) += s;
    n_sent += run.offloaded[i] ? 1.0 : 0.0;
  }
  // Uniform on [0, 0.85]: the top tenth averages 0.81, the rest 0.38.
  EXPECT_GT(sent / n_sent, 0.75);
  EXPECT_LT(kept / (kTraceFrames - n_sent), 0.42);
}

TEST(SceneChange, OffloadsAtTheCuts) {
  // A scene lasts ~100 frames; at 5 % a few frames of each scene may go, the cut first.
  auto policy = make_policy("scene_change");
  const std::vector<TraceFrame> trace = synthetic_trace(kTraceFrames, 23);
  const StreamRun run = run_stream(*policy, trace, fraction_budget(0.05));
  auto cuts_sent = [&](const StreamRun& r) {
    double cuts = 0.0, sent = 0.0;
    for (size_t i = 1; i < trace.size(); ++i)
      if (trace[i].scene_cut) cuts += 1.0, sent += r.offloaded[i] ? 1.0 : 0.0;
    return sent / cuts;
  };
  EXPECT_GT(cuts_sent(run), 0.9);
  // A policy blind to the scene sends a cut about as often as any frame.
  auto confidence = make_policy("confidence");
  EXPECT_LT(cuts_sent(run_stream(*confidence, trace, fraction_budget(0.05))), 0.2);
}

TEST(Random, IgnoresTheFrames) {
  auto policy = make_policy("random_offload");
  const StreamRun run =
      run_stream(*policy, synthetic_trace(kTraceFrames, 24), fraction_budget(0.2));
  const Scores s = scores_of(run);
  const auto k = static_cast<size_t>(0.2 * kTraceFrames);
  EXPECT_NEAR(top_k_overlap(s.confidence, run.offloaded, k), 0.2, 0.04);
  EXPECT_NEAR(top_k_overlap(s.entropy, run.offloaded, k), 0.2, 0.04);
}

TEST(Random, IsSeeded) {
  const auto trace = synthetic_trace(2000, 25);
  auto decisions = [&](int64_t seed) {
    auto policy = make_policy("random_offload", {{"seed", Value(seed)}});
    return run_stream(*policy, trace, fraction_budget(0.3)).offloaded;
  };
  EXPECT_EQ(decisions(3), decisions(3));
  EXPECT_NE(decisions(3), decisions(4));
  const OptionSpec* seed = RandomPolicy::schema().find("seed");
  ASSERT_NE(seed, nullptr);
  EXPECT_EQ(*seed->default_value, Value(int64_t{1}));
  EXPECT_NE(RandomPolicy::schema().find("window"), nullptr);  // the controller's options too
}

TEST(Random, DrawsUniformly) {
  RandomPolicy policy(make_config(RandomPolicy::schema()));
  policy.start(fraction_budget(0.5));
  double sum = 0.0, low = 0.0;
  for (int i = 0; i < 20000; ++i) {
    const double u = policy.score(OffloadFrame{});
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    low += u < 0.1 ? 1.0 : 0.0;
  }
  EXPECT_NEAR(sum / 20000, 0.5, 0.01);
  EXPECT_NEAR(low / 20000, 0.1, 0.01);
}

}  // namespace
}  // namespace gear::plugins::offloading::test
