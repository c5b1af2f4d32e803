// Global ranking per budget set, the kept-count split across sets, and budget fitting.

#include "selection.h"

#include <gtest/gtest.h>

#include "toy_net.h"

namespace gear::plugins::growth {
namespace {

TEST(Selection, RankingIsGlobalAcrossGroups) {
  // Group 0 (width 4, 2 fresh): every candidate better than any of group 1 (width 6, 2 fresh).
  std::vector<std::vector<double>> scores = {{-1, -2, -3, -4, -5, -6}, {1, 2, 3, 4, 5, 6, 7, 8}};
  auto ranked = rank_candidates(scores, {"default", "default"}, {4, 6}, 0.5);
  ASSERT_EQ(ranked.size(), 1u);
  EXPECT_EQ(ranked[0].target, 5);  // floor(0.5 * (4 + 6))
  auto choice = choose(ranked, {4, 6}, ranked[0].target);
  // The five lowest: -6, -5 (fresh 1 and 0), -4, -3, -2 (splits of channels 3, 2, 1).
  EXPECT_EQ(choice[0].split, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(choice[0].fresh, (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(choice[1].split.empty());
  EXPECT_TRUE(choice[1].fresh.empty());
}

TEST(Selection, LowestScoresWinEvenWhenPositive) {
  std::vector<std::vector<double>> scores = {{0.3, 0.1, 0.2}, {0.05, 0.4}};
  auto ranked = rank_candidates(scores, {"s", "s"}, {2, 1}, 1.0);
  EXPECT_EQ(ranked[0].target, 3);
  auto choice = choose(ranked, {2, 1}, 3);
  EXPECT_EQ(choice[0].split, (std::vector<int64_t>{1}));
  EXPECT_EQ(choice[0].fresh, (std::vector<int64_t>{0}));  // 0.2 is index 2 = fresh 0
  EXPECT_EQ(choice[1].split, (std::vector<int64_t>{0}));
}

TEST(Selection, EachBudgetSetRanksAndCountsOnItsOwn) {
  // Set "early" has the better scores, but "late" still keeps its own quota.
  std::vector<std::vector<double>> scores = {{-9, -9, -9, -9}, {1, 2, 3, 4, 5, 6}};
  auto ranked = rank_candidates(scores, {"early", "late"}, {4, 6}, 0.5);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].set, "early");
  EXPECT_EQ(ranked[0].target, 2);
  EXPECT_EQ(ranked[1].target, 3);
  auto choice = choose(ranked, {4, 6}, 5);
  EXPECT_EQ(choice[0].split.size(), 2u);
  EXPECT_EQ(choice[1].split, (std::vector<int64_t>{0, 1, 2}));
}

TEST(Selection, ShareIsMonotoneAndReachesTheTargets) {
  const std::vector<int64_t> targets = {7, 3, 0};
  std::vector<int64_t> previous = {0, 0, 0};
  for (int64_t kept = 0; kept <= 10; ++kept) {
    auto counts = share(targets, kept);
    for (size_t i = 0; i < counts.size(); ++i) EXPECT_GE(counts[i], previous[i]);
    EXPECT_LE(counts[0] + counts[1] + counts[2], kept);
    previous = counts;
  }
  EXPECT_EQ(share(targets, 10), targets);
}

TEST(Selection, FitToBudgetFindsTheLargestFittingCount) {
  auto net = test::make_toy();
  const int64_t base = net->params();
  // Each appended "a" channel costs conv1 18 + bn1 2 + dw 10 + bn_dw 2 + conv2 3 = 35 params.
  Budget budget;
  budget.params = base + 35 * 6 + 10;
  test::ScriptedContext context({}, 1, budget);
  std::vector<int64_t> applied;
  BudgetFit fit = fit_to_budget(*net, context, 20, [&](int64_t kept) {
    applied.push_back(kept);
    while (net->width("a") > 4) net->select("a", {0, 1, 2, 3});
    net->widen("a", kept);
  });
  EXPECT_EQ(fit.kept, 6);
  EXPECT_EQ(fit.bound_by, "params");
  EXPECT_EQ(net->width("a"), 4 + 6);  // left in the fitted state
  EXPECT_LE(net->params(), *budget.params);

  // Within budget: gamma binds and one check suffices.
  BudgetFit loose = fit_to_budget(*net, context, 3, [&](int64_t kept) {
    net->select("a", {0, 1, 2, 3});
    net->widen("a", kept);
  });
  EXPECT_EQ(loose.kept, 3);
  EXPECT_EQ(loose.bound_by, "gamma");
}

TEST(Selection, NothingFitsWhenTheBackboneIsAlreadyOverBudget) {
  auto net = test::make_toy();
  Budget budget;
  budget.params = net->params() - 1;
  test::ScriptedContext context({}, 1, budget);
  BudgetFit fit = fit_to_budget(*net, context, 8, [&](int64_t kept) {
    net->select("a", {0, 1, 2, 3});
    net->widen("a", kept);
  });
  EXPECT_EQ(fit.kept, 0);
  EXPECT_EQ(fit.bound_by, "params");
  EXPECT_EQ(net->width("a"), 4);
}

}  // namespace
}  // namespace gear::plugins::growth
