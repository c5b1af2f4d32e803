// The instability figures against their definitions, on hand-made prediction tables whose
// answers are counted by hand: set, pairwise, reference and correctness instability, per class,
// ties, missing answers, KL and top-5 flips.
#include "instability_metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace gear::plugins::instability {
namespace {

// One-hot-ish logits: profile k predicts preds[k][i] for image i, with a margin of 2.
PredictionTable table_of(const std::vector<std::vector<int64_t>>& preds,
                         const std::vector<int64_t>& labels, int64_t classes) {
  const auto k = static_cast<int64_t>(preds.size());
  const auto n = static_cast<int64_t>(labels.size());
  PredictionTable t;
  t.logits = torch::zeros({k, n, classes});
  for (int64_t a = 0; a < k; ++a) {
    t.names.push_back("p" + std::to_string(a));
    for (int64_t i = 0; i < n; ++i) t.logits[a][i][preds[a][i]] = 2.0;
  }
  t.valid = torch::ones({k, n}, torch::kBool);
  t.labels = torch::tensor(labels, torch::kLong);
  return t;
}

// p0 = 0 1 2 0 1, p1 = 0 1 2 1 1, p2 = 0 2 2 0 1; labels 0 1 2 0 0.
PredictionTable three_profiles() {
  return table_of({{0, 1, 2, 0, 1}, {0, 1, 2, 1, 1}, {0, 2, 2, 0, 1}}, {0, 1, 2, 0, 0}, 3);
}

TEST(InstabilityMetrics, SetPairwiseReferenceAndCorrectnessOnAHandCountedTable) {
  const InstabilityFigures f = measure_instability(three_profiles(), 0, Missing::kExclude, 3);
  EXPECT_EQ(f.images, 5);
  EXPECT_DOUBLE_EQ(f.set, 2.0 / 5);             // images 1 and 3 differ somewhere
  EXPECT_DOUBLE_EQ(f.pairwise[0][1], 1.0 / 5);  // image 3
  EXPECT_DOUBLE_EQ(f.pairwise[0][2], 1.0 / 5);  // image 1
  EXPECT_DOUBLE_EQ(f.pairwise[1][2], 2.0 / 5);  // images 1 and 3
  EXPECT_DOUBLE_EQ(f.pairwise[2][1], f.pairwise[1][2]);
  EXPECT_DOUBLE_EQ(f.pairwise[1][1], 0.0);
  EXPECT_NEAR(f.pairwise_mean, (0.2 + 0.2 + 0.4) / 3, 1e-12);
  EXPECT_DOUBLE_EQ(f.pairwise_max, 0.4);
  EXPECT_DOUBLE_EQ(f.reference_mean, 0.2);
  EXPECT_DOUBLE_EQ(f.against_reference[2], 0.2);
  EXPECT_DOUBLE_EQ(f.against_reference[0], 0.0);
  // Image 4 is wrong everywhere (stable and wrong): not a correctness flip; 1 and 3 are.
  EXPECT_DOUBLE_EQ(f.correctness, 2.0 / 5);
  EXPECT_DOUBLE_EQ(f.accuracy[0], 4.0 / 5);
  EXPECT_DOUBLE_EQ(f.accuracy[1], 3.0 / 5);
  EXPECT_DOUBLE_EQ(f.accuracy[2], 3.0 / 5);
  EXPECT_EQ(f.stable, (std::vector<int>{1, 0, 1, 0, 1}));
}

TEST(InstabilityMetrics, PerClassCountsOnlyThatClassesImages) {
  const InstabilityFigures f = measure_instability(three_profiles(), 0, Missing::kExclude, 3);
  // Class 0: images 0, 3, 4; only image 3 is unstable (and a correctness flip).
  EXPECT_DOUBLE_EQ(f.per_class[0].at("images"), 3.0);
  EXPECT_DOUBLE_EQ(f.per_class[0].at("set"), 1.0 / 3);
  EXPECT_DOUBLE_EQ(f.per_class[0].at("correctness"), 1.0 / 3);
  // 9 answers on class 0, right: p0 on 0 and 3, p1 on 0, p2 on 0 and 3.
  EXPECT_DOUBLE_EQ(f.per_class[0].at("accuracy"), 5.0 / 9);
  EXPECT_DOUBLE_EQ(f.per_class[1].at("set"), 1.0);  // image 1
  EXPECT_DOUBLE_EQ(f.per_class[2].at("set"), 0.0);
}

TEST(InstabilityMetrics, TiesGoToTheLowestClassOnEveryProfile) {
  EXPECT_TRUE(torch::equal(
      top1(torch::tensor({0.0, 5.0, 5.0, 3.0, 3.0, 1.0, 0.0, 1.0, 4.0}).reshape({3, 3})),
      torch::tensor({1, 0, 2}, torch::kLong)));
  PredictionTable t;
  t.names = {"a", "b"};
  // a ties classes 1 and 2 exactly; b prefers 1 a little: both mean class 1, so stable.
  t.logits = torch::tensor({0.0, 5.0, 5.0, 0.0, 5.0, 4.9}).reshape({2, 1, 3});
  t.valid = torch::ones({2, 1}, torch::kBool);
  t.labels = torch::tensor({1}, torch::kLong);
  const InstabilityFigures f = measure_instability(t, -1, Missing::kExclude, 3);
  EXPECT_DOUBLE_EQ(f.set, 0.0);
  EXPECT_DOUBLE_EQ(f.accuracy[0], 1.0);
}

TEST(InstabilityMetrics, AProfileThatFailedOnSomeImagesIsExcludedOrCountedAsUnstable) {
  // p1 gave no answer for image 2 (which the others agree on) and agrees elsewhere.
  PredictionTable t = table_of({{0, 1, 2, 0}, {0, 1, 0, 0}, {0, 1, 2, 1}}, {0, 1, 2, 0}, 3);
  t.valid[1][2] = false;
  const InstabilityFigures excluded = measure_instability(t, 0, Missing::kExclude, 3);
  EXPECT_EQ(excluded.images, 3);
  EXPECT_DOUBLE_EQ(excluded.set, 1.0 / 3);          // image 3 only, of 0, 1, 3
  EXPECT_DOUBLE_EQ(excluded.pairwise[0][1], 0.0);   // over the 3 images both answered
  EXPECT_DOUBLE_EQ(excluded.accuracy[1], 3.0 / 3);  // its three answers are right
  EXPECT_EQ(excluded.stable[2], -1);
  const InstabilityFigures unstable = measure_instability(t, 0, Missing::kUnstable, 3);
  EXPECT_EQ(unstable.images, 4);
  EXPECT_DOUBLE_EQ(unstable.set, 2.0 / 4);             // images 2 and 3
  EXPECT_DOUBLE_EQ(unstable.pairwise[0][1], 1.0 / 4);  // the missing answer disagrees
  EXPECT_DOUBLE_EQ(unstable.correctness, 2.0 / 4);     // image 2: right on p0, missing on p1
  EXPECT_EQ(unstable.stable[2], 0);
}

TEST(InstabilityMetrics, MeanKlIsTheAverageOverOrderedPairsOfTheDefinition) {
  PredictionTable t;
  t.names = {"a", "b"};
  torch::Tensor a = torch::tensor({{1.0, 0.0, -1.0}, {0.5, 0.5, 0.0}});
  torch::Tensor b = torch::tensor({{0.0, 1.0, 0.0}, {0.5, 0.0, 0.5}});
  t.logits = torch::stack({a, b});
  t.valid = torch::ones({2, 2}, torch::kBool);
  t.labels = torch::tensor({0, 0}, torch::kLong);
  auto kl = [](const torch::Tensor& p_logits, const torch::Tensor& q_logits) {
    torch::Tensor p = p_logits.softmax(1), q = q_logits.softmax(1);
    return (p * (p / q).log()).sum(1).mean().item<double>();
  };
  const InstabilityFigures f = measure_instability(t, -1, Missing::kExclude, 3);
  EXPECT_NEAR(f.mean_kl, 0.5 * (kl(a, b) + kl(b, a)), 1e-6);
  EXPECT_GT(f.mean_kl, 0.0);
}

TEST(InstabilityMetrics, TopFiveFlipsCountOnlyNewLabelsAmongTheOtherProfilesBestFive) {
  // 7 classes. Image 0: a's order 0 > 1 > ... > 6, b says 1 (in a's top 5). Image 1: b says 6
  // (a's worst).
  PredictionTable t;
  t.names = {"a", "b"};
  torch::Tensor ranked = -torch::arange(7, torch::kFloat);
  t.logits = torch::zeros({2, 2, 7});
  t.logits[0][0] = ranked;
  t.logits[0][1] = ranked;
  t.logits[1][0][1] = 1.0;
  t.logits[1][1][6] = 1.0;
  t.valid = torch::ones({2, 2}, torch::kBool);
  t.labels = torch::tensor({0, 0}, torch::kLong);
  const InstabilityFigures f = measure_instability(t, -1, Missing::kExclude, 7);
  EXPECT_DOUBLE_EQ(f.set, 1.0);
  EXPECT_DOUBLE_EQ(f.flips_in_top5, 0.5);
}

TEST(InstabilityMetrics, RefusesASingleProfile) {
  PredictionTable t = table_of({{0, 1}}, {0, 1}, 2);
  EXPECT_THROW(measure_instability(t, -1, Missing::kExclude, 2), std::invalid_argument);
}

}  // namespace
}  // namespace gear::plugins::instability
