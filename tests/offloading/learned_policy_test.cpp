// The learned policy: it ranks a problem of known rule, beats confidence where the gain
// depends on the scene, its balancing and regularisation do what they say, and it refuses to
// learn from nothing or to decide before learning.
#include "learned_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "logistic_regression.h"
#include "synthetic_stream.h"
#include "uncertainty_policies.h"

namespace gear::plugins::offloading::test {
namespace {

std::shared_ptr<LearnedPolicy> fitted(const std::vector<OffloadExample>& examples,
                                      const Overrides& values = {}) {
  auto policy = std::make_shared<LearnedPolicy>(make_config(LearnedPolicy::schema(), values));
  policy->fit(examples);
  return policy;
}

std::vector<double> scores(ScorePolicy& policy, const std::vector<OffloadExample>& examples) {
  std::vector<double> out;
  for (const auto& e : examples) out.push_back(policy.score(e.frame));
  return out;
}

std::vector<bool> gains(const std::vector<OffloadExample>& examples) {
  std::vector<bool> out;
  for (const auto& e : examples) out.push_back(gain(e));
  return out;
}

TEST(Learned, RanksAKnownRuleOnFreshFrames) {
  auto policy = fitted(learning_examples(4000, 31));
  const auto test = learning_examples(4000, 32);
  // The rule is change > 0.5 with 2 % of the labels flipped.
  EXPECT_GT(auc(scores(*policy, test), gains(test)), 0.9);
}

TEST(Learned, LearnsTheGainNotEitherNetsCorrectness) {
  // Examples labelled by one net's correctness would teach the head to look at uncertainty too:
  // fitting on those labels (as a head on the wrong target would) ranks the gains worse.
  auto relabelled = [](std::vector<OffloadExample> examples, bool by_cloud) {
    for (auto& e : examples) {
      const bool y = by_cloud ? e.cloud_correct : !e.edge_correct;
      e.cloud_correct = y;
      e.edge_correct = false;
    }
    return examples;
  };
  const auto train = learning_examples(4000, 33);
  const auto test = learning_examples(4000, 34);
  const double right = auc(scores(*fitted(train), test), gains(test));
  for (bool by_cloud : {true, false}) {
    const double wrong = auc(scores(*fitted(relabelled(train, by_cloud)), test), gains(test));
    EXPECT_GT(right, wrong + 0.05) << by_cloud;
  }
}

TEST(Learned, BeatsConfidenceWhenTheGainDependsOnTheScene) {
  auto learned = fitted(learning_examples(4000, 35));
  ConfidencePolicy confidence(make_config(ConfidencePolicy::schema()));
  const auto stream = learning_examples(10000, 36);
  std::vector<OffloadFrame> frames;
  for (const auto& e : stream) frames.push_back(e.frame);
  auto gained = [&](OffloadPolicy& policy) {
    const std::vector<bool> sent = run_frames(policy, frames, fraction_budget(0.3));
    double n = 0.0;
    for (size_t i = 0; i < sent.size(); ++i) n += sent[i] && gain(stream[i]) ? 1.0 : 0.0;
    return n;
  };
  // Half the frames gain; at 30 % the learned head should send almost only those.
  const double learned_gains = gained(*learned);
  EXPECT_GT(learned_gains, 0.85 * 3000);
  EXPECT_GT(learned_gains, 1.5 * gained(confidence));
}

TEST(Learned, WithoutBalancingPredictsTheBaseRateOnAverage) {
  // The bias is not penalised, so at the optimum the mean prediction is the mean target.
  auto examples = learning_examples(3000, 37);
  for (size_t i = 0; i < examples.size(); ++i)  // make gains rare: about 10 %
    if (gain(examples[i]) && i % 5 != 0) examples[i].cloud_correct = false;
  double positives = 0.0;
  for (const auto& e : examples) positives += gain(e) ? 1.0 : 0.0;
  auto plain = fitted(examples, {{"balance", Value(false)}});
  const std::vector<double> p = scores(*plain, examples);
  double mean = 0.0;
  for (double x : p) mean += x;
  EXPECT_NEAR(mean / examples.size(), positives / examples.size(), 1e-6);
  // Balanced, each class weighs half: the mean prediction within each class averages to 1/2.
  auto balanced = fitted(examples);
  const std::vector<double> q = scores(*balanced, examples);
  double on_positive = 0.0, on_negative = 0.0;
  for (size_t i = 0; i < q.size(); ++i) (gain(examples[i]) ? on_positive : on_negative) += q[i];
  EXPECT_NEAR(0.5 * (on_positive / positives + on_negative / (examples.size() - positives)), 0.5,
              1e-6);
}

TEST(Learned, L2ShrinksTheHeadTowardsAConstant) {
  const auto examples = learning_examples(2000, 38);
  auto spread = [&](double l2) {
    const std::vector<double> p = scores(*fitted(examples, {{"l2", Value(l2)}}), examples);
    return *std::max_element(p.begin(), p.end()) - *std::min_element(p.begin(), p.end());
  };
  EXPECT_GT(spread(1e-3), 0.9);
  EXPECT_LT(spread(1e4), 0.01);
}

TEST(Learned, IsDeterministic) {
  const auto examples = learning_examples(2000, 39);
  const auto test = learning_examples(500, 40);
  EXPECT_EQ(scores(*fitted(examples), test), scores(*fitted(examples), test));
}

TEST(Learned, RefusesExamplesItCannotLearnFrom) {
  LearnedPolicy policy(make_config(LearnedPolicy::schema()));
  EXPECT_TRUE(policy.learns());
  EXPECT_FALSE(ConfidencePolicy(make_config(ConfidencePolicy::schema())).learns());
  try {
    policy.fit({});
    ADD_FAILURE() << "fit({}) did not throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no training examples"), std::string::npos) << e.what();
  }
  for (bool all_gain : {false, true}) {
    auto examples = learning_examples(100, 41);
    for (auto& e : examples) e.cloud_correct = all_gain, e.edge_correct = false;
    try {
      policy.fit(examples);
      ADD_FAILURE() << "fit() on one class did not throw";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("needs both classes"), std::string::npos) << e.what();
    }
  }
}

TEST(Learned, RefusesToDecideBeforeFit) {
  LearnedPolicy policy(make_config(LearnedPolicy::schema()));
  policy.start(fraction_budget(0.2));  // starting is fine
  EXPECT_THROW(policy.decide(learning_examples(1, 42).front().frame), std::logic_error);
}

TEST(Learned, KeepsWhatItLearnedAcrossStarts) {
  auto policy = fitted(learning_examples(2000, 43));
  const auto test = learning_examples(200, 44);
  const std::vector<double> before = scores(*policy, test);
  policy->start(fraction_budget(0.1));
  EXPECT_EQ(scores(*policy, test), before);
}

TEST(Learned, StandardisesSoThatAFeatureScaleDoesNotMatter) {
  // change a thousand times smaller: standardised, the same problem, so the same predictions
  // (unstandardised, the penalty would weigh its larger weight a million times more).
  auto examples = learning_examples(2000, 45);
  auto shrunk = examples;
  for (auto& e : shrunk) e.frame.change *= 1e-3;
  const std::vector<double> p = scores(*fitted(examples), examples);
  const std::vector<double> q = scores(*fitted(shrunk), shrunk);
  for (size_t i = 0; i < p.size(); ++i) ASSERT_NEAR(p[i], q[i], 1e-7) << i;
}

TEST(Features, AreTheDocumentedOnes) {
  OffloadFrame f;
  f.max_probability = 0.6;
  f.margin = 0.3;
  f.entropy = 0.5;
  f.change = 0.2;
  f.frames_since_offload = 9;
  f.bytes = 1000;
  f.link_bits_per_second = 80000.0;  // 10 frames of 1000 B a second
  f.queued_bytes = 3000;
  const auto x = offload_features(f);
  EXPECT_DOUBLE_EQ(x[0], 0.4);
  EXPECT_DOUBLE_EQ(x[1], 0.7);
  EXPECT_DOUBLE_EQ(x[2], 0.5);
  EXPECT_DOUBLE_EQ(x[3], 0.2);
  EXPECT_DOUBLE_EQ(x[4], std::log1p(9.0));
  EXPECT_DOUBLE_EQ(x[5], std::log1p(10.0));
  EXPECT_DOUBLE_EQ(x[6], std::log1p(3.0));
}

TEST(LogisticRegression, FindsTheOptimumOfASmallProblem) {
  // One feature, x in {-1, 1} with P(y = 1 | x) = 0.2 and 0.8: the unregularised optimum is
  // w = logit(0.8), b = 0 exactly.
  LogisticProblem problem;
  problem.features = 1;
  for (int i = 0; i < 10; ++i) {
    const double x = i < 5 ? -1.0 : 1.0;
    problem.x.push_back(x);
    problem.y.push_back((i < 5 ? i == 0 : i != 5) ? 1.0 : 0.0);
    problem.weights.push_back(1.0);
  }
  const LogisticModel model = fit_logistic(problem, 0.0, 100);
  EXPECT_NEAR(model.weights[0], std::log(4.0), 1e-8);
  EXPECT_NEAR(model.bias, 0.0, 1e-8);
  const double x = 1.0;
  EXPECT_NEAR(model.probability(&x), 0.8, 1e-8);
  EXPECT_THROW(fit_logistic(LogisticProblem{}, 0.0, 10), std::invalid_argument);
}

}  // namespace
}  // namespace gear::plugins::offloading::test
