// The shared threshold controller through every policy: frame-fraction targets met, byte-rate
// budgets spent and never overrun by more than one bucket, a link capacity drop followed, the
// bucket's depth, restarts, and the rejection of bad budgets and options.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "budget_threshold.h"
#include "score_policy.h"
#include "synthetic_stream.h"
#include "uncertainty_policies.h"

namespace gear::plugins::offloading::test {
namespace {

double fraction(const std::vector<bool>& offloaded) {
  return static_cast<double>(std::count(offloaded.begin(), offloaded.end(), true)) /
         static_cast<double>(offloaded.size());
}

class FrameFraction : public ::testing::TestWithParam<std::tuple<std::string, double>> {};

TEST_P(FrameFraction, IsMetWithinHalfAPointOnTenThousandFrames) {
  const auto& [name, f] = GetParam();
  auto policy = make_policy(name);
  const StreamRun run = run_stream(*policy, synthetic_trace(kTraceFrames, 5), fraction_budget(f));
  EXPECT_NEAR(fraction(run.offloaded), f, 0.005) << name;
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, FrameFraction,
                         ::testing::Combine(::testing::ValuesIn(policy_names()),
                                            ::testing::Values(0.1, 0.2, 0.3)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" +
                                  std::to_string(
                                      static_cast<int>(std::lround(std::get<1>(info.param) * 100)));
                         });

// Bytes sent against the allowance: the totals, and the most by which the bytes sent over any
// run of frames exceed that run's allowance (what a token bucket bounds by its depth).
struct Spend {
  double total = 0.0;
  double allowance = 0.0;
  double most_ahead = -1e300;
};

Spend spend(const StreamRun& run, double bytes_per_second, double fps, size_t from = 0) {
  Spend s;
  double lowest = 0.0;  // min over earlier frames of sent - allowance
  for (size_t i = from; i < run.frames.size(); ++i) {
    s.allowance += std::min(bytes_per_second, run.frames[i].link_bits_per_second / 8.0) / fps;
    if (run.offloaded[i]) s.total += static_cast<double>(run.frames[i].bytes);
    s.most_ahead = std::max(s.most_ahead, s.total - s.allowance - lowest);
    lowest = std::min(lowest, s.total - s.allowance);
  }
  return s;
}

class ByteRate : public ::testing::TestWithParam<std::string> {};

TEST_P(ByteRate, SpendsTheRateAndRunsAheadByAtMostOneBucket) {
  // 60 kB/s at 30 fps is 2 kB a frame, about one frame in 7.5 of 15 kB on average; the link
  // (1 MB/s) does not bind.
  auto policy = make_policy(GetParam());
  const double rate = 60000.0;
  const StreamRun run = run_stream(*policy, synthetic_trace(kTraceFrames, 6), byte_budget(rate));
  const Spend s = spend(run, rate, 30.0);
  EXPECT_NEAR(s.total / s.allowance, 1.0, 0.01);
  const double window = static_cast<double>(ThresholdOptions{}.window);
  EXPECT_LE(s.most_ahead, window * 2000.0 + 1e-6);  // the default window
}

TEST_P(ByteRate, FollowsALinkCapacityDrop) {
  // Half way the link falls from 8 Mbit/s to 240 kbit/s (30 kB/s, 1 kB a frame): below the
  // 60 kB/s budget, so the link's capacity is the allowance from then on.
  auto policy = make_policy(GetParam());
  std::vector<TraceFrame> trace = synthetic_trace(kTraceFrames, 7);
  for (size_t i = kTraceFrames / 2; i < trace.size(); ++i) trace[i].link_bits_per_second = 240e3;
  const double rate = 60000.0;
  const StreamRun run = run_stream(*policy, trace, byte_budget(rate));
  const Spend before =
      spend(StreamRun{{run.offloaded.begin(), run.offloaded.begin() + kTraceFrames / 2},
                      {run.frames.begin(), run.frames.begin() + kTraceFrames / 2}},
            rate, 30.0);
  const Spend after = spend(run, rate, 30.0, kTraceFrames / 2);
  EXPECT_NEAR(before.total / before.allowance, 1.0, 0.05);
  EXPECT_NEAR(after.allowance, 1000.0 * kTraceFrames / 2, 1e-6);
  EXPECT_NEAR(after.total / after.allowance, 1.0, 0.05);
  // What is left of the first half's bucket (window * 2 kB at most) plus one bucket of the
  // second's (window * 1 kB), plus a frame.
  const double window = static_cast<double>(ThresholdOptions{}.window);
  EXPECT_LE(after.most_ahead, window * 2000.0 + window * 1000.0 + 20000.0);
}

INSTANTIATE_TEST_SUITE_P(ScorePolicies, ByteRate,
                         ::testing::Values("confidence", "scene_change", "random_offload",
                                           "learned"));

// Scores that rise every frame rank first in their history, so every frame the bucket can
// pay for is sent: the spend is then exactly one full bucket plus the allowance.
std::vector<OffloadFrame> rising_frames(int64_t count, int64_t bytes, double link) {
  std::vector<OffloadFrame> frames(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    OffloadFrame& f = frames[static_cast<size_t>(i)];
    f.index = i;
    f.max_probability = 1.0 - 0.9 * static_cast<double>(i + 1) / static_cast<double>(count);
    f.bytes = bytes;
    f.link_bits_per_second = link;
  }
  return frames;
}

TEST(Bucket, StartsFullAndHoldsWindowFramesOfAllowance) {
  for (int64_t window : {5, 30, 120}) {
    // A tiny step keeps the level at its start, so that only the bucket holds frames back.
    ConfidencePolicy policy(make_config(ConfidencePolicy::schema(),
                                        {{"window", Value(window)}, {"step", Value(1e-6)}}));
    const auto frames = rising_frames(600, 10000, 8e6);
    // 60 kB/s at 30 fps: 2 kB a frame, a bucket of window * 2 kB.
    const std::vector<bool> sent = run_frames(policy, frames, byte_budget(60000.0));
    const double total = 10000.0 * static_cast<double>(std::count(sent.begin(), sent.end(), true));
    const double most = static_cast<double>(window) * 2000.0 + 599 * 2000.0;
    EXPECT_LE(total, most + 1e-6) << window;
    EXPECT_GT(total, most - 10000.0) << window;
  }
}

TEST(Bucket, CapsTheCreditSavedDuringALull) {
  // 500 frames of falling scores send nothing; the 500 rising ones after may then spend one
  // bucket (60 kB) beyond their allowance, not the 1 MB the lull would have saved uncapped.
  ConfidencePolicy policy(make_config(ConfidencePolicy::schema(),
                                      {{"step", Value(1e-6)}, {"window", Value(int64_t{30})}}));
  std::vector<OffloadFrame> frames = rising_frames(1000, 10000, 8e6);
  for (size_t i = 0; i < 500; ++i) frames[i].max_probability = 0.05 + 0.9 * i / 500.0;
  StreamRun run;
  run.frames = frames;
  run.offloaded = run_frames(policy, frames, byte_budget(60000.0));
  EXPECT_EQ(std::count(run.offloaded.begin(), run.offloaded.begin() + 500, true), 1);  // frame 0
  const Spend s = spend(run, 60000.0, 30.0);
  EXPECT_LE(s.most_ahead, 60000.0 + 1e-6);
  EXPECT_GT(s.most_ahead, 60000.0 - 10000.0);
}

TEST(FrameFractionTarget, HoldsEvenWhenEveryScoreRanksFirst) {
  // Rising scores all pass any quantile threshold: only the level's integral of the rate
  // error, free to fall to 0 and below, keeps the count at a tenth.
  ConfidencePolicy policy(make_config(ConfidencePolicy::schema()));
  const auto frames = rising_frames(2000, 10000, 8e6);
  const std::vector<bool> sent = run_frames(policy, frames, fraction_budget(0.1));
  EXPECT_NEAR(static_cast<double>(std::count(sent.begin(), sent.end(), true)), 200.0, 6.0);
}

TEST(Bucket, LetsAFrameLargerThanTheBucketThroughOnceItIsPaidFor) {
  // 300 B/s at 30 fps is 10 B a frame, a 300 B bucket; a 1000 B frame waits for 1000 B of credit.
  ConfidencePolicy policy(
      make_config(ConfidencePolicy::schema(), {{"window", Value(int64_t{30})}}));
  const auto frames = rising_frames(1000, 1000, 8e6);
  const std::vector<bool> sent = run_frames(policy, frames, byte_budget(300.0));
  EXPECT_EQ(std::count(sent.begin(), sent.end(), true), 10);
}

TEST(Bucket, AHeldBackBurstDoesNotWindTheLevelUp) {
  // Scenes of 60 frames, hard (max_probability 0.3-0.5) and easy (0.9-1.0) in turn, 1 kB each,
  // a budget of a tenth of the frames' bytes and a 30-frame bucket: a hard scene wants more than
  // the bucket holds. Were the level to chase the spend the bucket held back, it would admit
  // easy frames in the easy scene after; it follows what the ranking asks for instead.
  ConfidencePolicy policy(
      make_config(ConfidencePolicy::schema(), {{"window", Value(int64_t{30})}}));
  std::vector<OffloadFrame> frames = rising_frames(6000, 1000, 8e6);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t i = 0; i < frames.size(); ++i)
    frames[i].max_probability = (i / 60) % 2 == 0 ? 0.3 + 0.2 * u(rng) : 0.9 + 0.1 * u(rng);
  const std::vector<bool> sent = run_frames(policy, frames, byte_budget(3000.0));
  int64_t hard = 0, total = 0;
  for (size_t i = 0; i < sent.size(); ++i)
    if (sent[i]) {
      ++total;
      hard += (i / 60) % 2 == 0;
    }
  EXPECT_GT(total, 300);
  EXPECT_GT(static_cast<double>(hard), 0.95 * static_cast<double>(total))
      << hard << " of " << total;
}

class Restart : public ::testing::TestWithParam<std::string> {};

TEST_P(Restart, ForgetsTheLastStream) {
  auto policy = make_policy(GetParam());
  const auto trace = synthetic_trace(3000, 8);
  const StreamRun first = run_stream(*policy, trace, fraction_budget(0.2));
  run_stream(*policy, synthetic_trace(2000, 9), fraction_budget(0.05));  // another stream between
  const StreamRun again = run_stream(*policy, trace, fraction_budget(0.2));
  EXPECT_EQ(first.offloaded, again.offloaded);
  const StreamRun fresh = run_stream(*make_policy(GetParam()), trace, fraction_budget(0.2));
  EXPECT_EQ(first.offloaded, fresh.offloaded);
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, Restart, ::testing::ValuesIn(policy_names()));

TEST(Budget, RejectsAnythingButExactlyOneTarget) {
  ConfidencePolicy policy(make_config(ConfidencePolicy::schema()));
  auto budget = [](double f, double bytes, double fps) {
    OffloadBudget b;
    b.frame_fraction = f;
    b.bytes_per_second = bytes;
    b.frames_per_second = fps;
    return b;
  };
  EXPECT_THROW(policy.start(budget(0.0, 0.0, 30.0)), std::invalid_argument);
  EXPECT_THROW(policy.start(budget(0.2, 1000.0, 30.0)), std::invalid_argument);
  EXPECT_THROW(policy.start(budget(1.5, 0.0, 30.0)), std::invalid_argument);
  EXPECT_THROW(policy.start(budget(0.2, 0.0, 0.0)), std::invalid_argument);
  EXPECT_THROW(policy.start(budget(0.0, 1000.0, -1.0)), std::invalid_argument);
  EXPECT_NO_THROW(policy.start(budget(1.0, 0.0, 30.0)));
  EXPECT_NO_THROW(policy.start(budget(0.0, 1000.0, 30.0)));
  try {
    policy.start(budget(0.0, 0.0, 30.0));
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("exactly one of frame_fraction and bytes_per_second"),
              std::string::npos);
  }
}

TEST(Budget, AFullFractionOffloadsEveryFrame) {
  auto policy = make_policy("confidence");
  const StreamRun run = run_stream(*policy, synthetic_trace(2000, 10), fraction_budget(1.0));
  EXPECT_EQ(std::count(run.offloaded.begin(), run.offloaded.end(), false), 0);
}

TEST(Threshold, RefusesToDecideBeforeStart) {
  BudgetThreshold threshold{ThresholdOptions{}};
  EXPECT_THROW(threshold.admit(0.5, OffloadFrame{}), std::logic_error);
  ConfidencePolicy policy(make_config(ConfidencePolicy::schema()));
  EXPECT_THROW(policy.decide(OffloadFrame{}), std::logic_error);
}

TEST(Threshold, RejectsOptionsOutsideTheirBounds) {
  EXPECT_THROW(BudgetThreshold(ThresholdOptions{0, 300, 0.02}), std::invalid_argument);
  EXPECT_THROW(BudgetThreshold(ThresholdOptions{30, 0, 0.02}), std::invalid_argument);
  EXPECT_THROW(BudgetThreshold(ThresholdOptions{30, 300, 0.0}), std::invalid_argument);
}

TEST(Threshold, StartsAtTheTargetRateAndFallsWhenAFrameIsSent) {
  BudgetThreshold threshold{ThresholdOptions{}};
  threshold.start(fraction_budget(0.2));
  OffloadFrame f;
  EXPECT_TRUE(threshold.admit(0.5, f));  // the first frame ranks above its (empty) history
  EXPECT_NEAR(threshold.level(), 0.2 + 0.02 * (0.2 - 1.0), 1e-12);
  EXPECT_FALSE(threshold.admit(0.1, f));  // ranks last of one
  EXPECT_NEAR(threshold.level(), 0.2 + 0.02 * (0.2 - 1.0) + 0.02 * 0.2, 1e-12);
}

TEST(Threshold, MeasuresAByteBudgetInBytesAndStartsWithAFullBucket) {
  // 60 kB/s at 30 fps: 2 kB a frame, a 60 kB bucket; frames of 10 kB start the level at 0.2.
  BudgetThreshold threshold{ThresholdOptions{30, 300, 0.02}};
  threshold.start(byte_budget(60000.0));
  OffloadFrame f;
  f.bytes = 10000;
  f.link_bits_per_second = 8e6;
  EXPECT_TRUE(threshold.admit(0.5, f));
  EXPECT_NEAR(threshold.credit(), 60000.0 - 10000.0, 1e-9);
  EXPECT_NEAR(threshold.level(), 0.2 + 0.02 * (2000.0 - 10000.0) / 10000.0, 1e-12);
  f.bytes = 30000;  // the mean cost is now 20 kB
  EXPECT_FALSE(threshold.admit(0.1, f));
  EXPECT_NEAR(threshold.credit(), 52000.0, 1e-9);
  EXPECT_NEAR(threshold.level(),
              0.2 + 0.02 * (2000.0 - 10000.0) / 10000.0 + 0.02 * 2000.0 / 20000.0, 1e-12);
}

TEST(Threshold, RanksAmongTheHistoryOnly) {
  // history 4: after 0.9 0.8 0.7 0.6 0.5 the 0.9 is forgotten, so 0.85 ranks first (it would
  // rank 4 / 5 among all five) and at level 0.1 only a frame above all four recent scores goes.
  ThresholdOptions options;
  options.history = 4;
  options.step = 1e-6;  // keep the level where it starts
  BudgetThreshold threshold(options);
  threshold.start(fraction_budget(0.1));
  OffloadFrame f;
  std::vector<bool> sent;
  for (double s : {0.9, 0.8, 0.7, 0.6, 0.5, 0.85, 0.84}) sent.push_back(threshold.admit(s, f));
  EXPECT_EQ(sent, (std::vector<bool>{true, false, false, false, false, true, false}));
}

TEST(Threshold, GivesTiesTheirMidRank) {
  // Four equal scores rank 0.5 among each other: sent at level 0.6, not at level 0.4.
  for (double f : {0.6, 0.4}) {
    ThresholdOptions options;
    options.step = 1e-6;
    BudgetThreshold threshold(options);
    threshold.start(fraction_budget(f));
    OffloadFrame frame;
    for (int i = 0; i < 4; ++i) threshold.admit(0.3, frame);
    EXPECT_EQ(threshold.admit(0.3, frame), f > 0.5) << f;
  }
}

// The host validates options against these bounds before a policy is built, so each bound
// is what rejects an out-of-range value.
TEST(Options, DeclareTheControllerOnceWithItsDefaultsAndBounds) {
  const OptionSchema schema = ScorePolicy::schema();
  auto expect = [&](const std::string& name, const Value& value, double min, double max) {
    const OptionSpec* spec = schema.find(name);
    ASSERT_NE(spec, nullptr) << name;
    ASSERT_TRUE(spec->default_value.has_value()) << name;
    EXPECT_EQ(*spec->default_value, value) << name;
    ASSERT_TRUE(spec->min.has_value() && spec->max.has_value()) << name;
    EXPECT_EQ(*spec->min, min) << name;
    EXPECT_EQ(*spec->max, max) << name;
  };
  expect("window", Value(int64_t{300}), 1, 100000);
  expect("history", Value(int64_t{300}), 1, 100000);
  expect("step", Value(0.02), 1e-6, 1.0);
  EXPECT_EQ(schema.options().size(), 3u);
  for (const auto& name : {"window", "history", "step"}) {
    EXPECT_NE(ConfidencePolicy::schema().find(name), nullptr);
    EXPECT_NE(SceneChangePolicy::schema().find(name), nullptr);
  }
}

TEST(Options, AreReadIntoTheController) {
  // A window of 1 frame: a 2 kB bucket, so the spend never runs ahead by more than a frame.
  ConfidencePolicy policy(make_config(
      ConfidencePolicy::schema(),
      {{"window", Value(int64_t{1})}, {"history", Value(int64_t{50})}, {"step", Value(0.5)}}));
  const StreamRun run = run_stream(policy, synthetic_trace(3000, 11), byte_budget(60000.0));
  EXPECT_LE(spend(run, 60000.0, 30.0).most_ahead, 20000.0 + 1e-6);
}

}  // namespace
}  // namespace gear::plugins::offloading::test
