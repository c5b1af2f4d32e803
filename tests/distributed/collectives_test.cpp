// The collectives of a data-parallel run on c10d's Gloo, between forked ranks: what each returns
// on every rank, gradients summed in buckets during backward, batch normalisation across ranks
// against one process on the whole batch, and a rank that dies named by the others.

#include <gtest/gtest.h>
#include <signal.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

#include "gear/batch_norm.h"
#include "gear/errors.h"
#include "gear/host/distributed/gradient_reducer.h"
#include "gear/host/distributed/run_distributed.h"
#include "rank_processes.h"
#include "test_support.h"

namespace gear {
namespace {

using host::World;
const std::vector<int> kAllPassed2 = {0, 0};
const std::vector<int> kAllPassed3 = {0, 0, 0};

TEST(World, AllGatherStacksEveryRanksPartInRankOrder) {
  EXPECT_EQ(
      test::run_ranks(
          3,
          [](World& world) {
            const double r = world.rank();
            torch::Tensor all = world.all_gather(torch::tensor({10 * r + 1, 10 * r + 2}));
            EXPECT_TRUE(torch::equal(all, torch::tensor({{1.0, 2.0}, {11.0, 12.0}, {21.0, 22.0}})));
          }),
      kAllPassed3);
}

TEST(World, SumAnyAndBroadcastGiveEveryRankTheSameAnswer) {
  EXPECT_EQ(test::run_ranks(
                3,
                [](World& world) {
                  const int r = world.rank();
                  torch::Tensor mine = torch::tensor({r + 1.0, 2.0 * r});
                  EXPECT_TRUE(torch::equal(world.sum(mine, "test"), torch::tensor({6.0, 6.0})));
                  EXPECT_TRUE(torch::equal(mine, torch::tensor({r + 1.0, 2.0 * r})))
                      << "sum must not change its argument";
                  EXPECT_TRUE(world.any(r == 2, "test"));
                  EXPECT_FALSE(world.any(false, "test"));
                  torch::Tensor t = torch::full({3}, static_cast<double>(r));
                  world.broadcast(t, 1);
                  EXPECT_TRUE(torch::equal(t, torch::full({3}, 1.0)));
                  EXPECT_EQ(world.from_rank0("dir", r == 0 ? "zero" : "mine"), "zero");
                }),
            kAllPassed3);
}

TEST(World, RanksWithDifferentPipelinesAreRefusedNamingTheRank) {
  EXPECT_EQ(test::run_ranks(3,
                            [](World& world) {
                              world.check_same_pipeline("same");  // no throw
                              try {
                                world.check_same_pipeline(world.rank() == 2 ? "b" : "a");
                                ADD_FAILURE() << "different pipelines were accepted";
                              } catch (const ConfigError& e) {
                                EXPECT_NE(std::string(e.what()).find(
                                              "rank 2's resolved pipeline differs from rank 0's"),
                                          std::string::npos)
                                    << e.what();
                              }
                            }),
            kAllPassed3);
}

TEST(World, ARankThatDiesIsNamedByTheOthers) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(test::run_ranks(
                2,
                [](World& world) {
                  if (world.rank() == 1) _exit(0);  // gone without a word
                  try {
                    world.all_gather(torch::zeros({2}));
                    ADD_FAILURE() << "an all-gather with a dead rank returned";
                  } catch (const std::runtime_error& e) {
                    const std::string what = e.what();
                    EXPECT_NE(what.find("rank 0 of 2: an all-gather"), std::string::npos) << what;
                    EXPECT_NE(what.find("rank 1 stopped answering"), std::string::npos) << what;
                  }
                },
                std::chrono::seconds(5)),
            kAllPassed2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

// Else a rank writing to a dead rank's socket is killed by SIGPIPE (exit 141) before it can name
// the rank that died (1 run in ~10 of the test above under load).
TEST(World, JoiningAWorldIgnoresSigpipe) {
  EXPECT_EQ(test::run_ranks(2,
                            [](World&) {
                              struct sigaction action {};
                              sigaction(SIGPIPE, nullptr, &action);
                              EXPECT_EQ(action.sa_handler, SIG_IGN);
                            }),
            kAllPassed2);
}

TEST(World, ARankThatFailsIsNamedWithItsReason) {
  EXPECT_EQ(test::run_ranks(
                2,
                [](World& world) {
                  if (world.rank() == 1) {
                    world.report_failure("stage 0: the loss is nan");
                    _exit(0);
                  }
                  try {
                    world.sum(torch::zeros({1}), "test");
                    ADD_FAILURE() << "a sum with a failed rank returned";
                  } catch (const std::runtime_error& e) {
                    EXPECT_NE(std::string(e.what()).find("rank 1 failed: stage 0: the loss is nan"),
                              std::string::npos)
                        << e.what();
                  }
                },
                std::chrono::seconds(5)),
            kAllPassed2);
}

TEST(SyncNet, EveryRankTakesRank0sWeightsAndBuffers) {
  EXPECT_EQ(test::run_ranks(3,
                            [](World& world) {
                              // Other weights and statistics on each rank; rank 0's rebuilt.
                              auto seeded = [](uint64_t seed) {
                                torch::manual_seed(seed);
                                auto net = test::build_net("vgg11", {1, 28, 28}, 0.125);
                                test::settle(*net, torch::randn({4, 1, 28, 28}));
                                return net;
                              };
                              auto net = seeded(11 + world.rank());
                              auto rank0 = seeded(11);
                              host::sync_net_from_rank0(*net, world, "the test net");
                              const auto mine = net->named_parameters();
                              for (const auto& p : rank0->named_parameters())
                                EXPECT_TRUE(torch::equal(mine[p.key()], p.value())) << p.key();
                              const auto buffers = net->named_buffers();
                              for (const auto& b : rank0->named_buffers())
                                EXPECT_TRUE(torch::equal(buffers[b.key()], b.value()))
                                    << "rank " << world.rank() << " " << b.key() << " "
                                    << (buffers[b.key()] - b.value()).abs().max();
                            }),
            kAllPassed3);
}

TEST(SyncNet, NetsOfOtherWidthsEndTheRunNamingBoth) {
  EXPECT_EQ(
      test::run_ranks(
          2,
          [](World& world) {
            auto net = test::build_net("vgg11", {1, 28, 28}, world.rank() == 0 ? 0.125 : 0.25);
            try {
              host::sync_net_from_rank0(*net, world, "the net after stage 2");
              ADD_FAILURE() << "nets of different widths were synchronised";
            } catch (const std::runtime_error& e) {
              const std::string what = e.what();
              EXPECT_NE(what.find("the net after stage 2 differs between "
                                  "ranks: rank 0 has widths [8, 16, 32, 32, 64"),
                        std::string::npos)
                  << what;
              EXPECT_NE(what.find("rank 1 [16, 32, 64, 64, 128"), std::string::npos) << what;
            }
          }),
      kAllPassed2);
}

// A small net, the same on every rank, with a parameter the loss does not reach.
struct TinyNet {
  torch::nn::Linear first{4, 8}, second{8, 3}, unused{2, 2};
  TinyNet() {
    torch::manual_seed(7);
    first = torch::nn::Linear(4, 8);
    second = torch::nn::Linear(8, 3);
    unused = torch::nn::Linear(2, 2);
  }
  std::vector<torch::Tensor> params() {
    std::vector<torch::Tensor> all;
    for (const auto* m : {&first, &second, &unused})
      for (const auto& p : (*m)->parameters()) all.push_back(p);
    return all;
  }
  torch::Tensor loss(const torch::Tensor& x) { return second(torch::relu(first(x))).pow(2).mean(); }
};

torch::Tensor rank_data(int rank) {
  torch::manual_seed(100 + rank);
  return torch::randn({5, 4});
}

void expect_summed_gradients(World& world, bool overlap) {
  TinyNet net;
  // The expected sum: every rank's gradient, each computed here.
  std::vector<torch::Tensor> expected;
  for (int r = 0; r < world.size(); ++r) {
    for (auto& p : net.params()) p.mutable_grad() = torch::Tensor();
    net.loss(rank_data(r)).backward();
    const std::vector<torch::Tensor> params = net.params();
    for (size_t k = 0; k < params.size(); ++k) {
      torch::Tensor g =
          params[k].grad().defined() ? params[k].grad().clone() : torch::zeros_like(params[k]);
      if (r == 0)
        expected.push_back(g);
      else
        expected[k] += g;
    }
  }
  for (auto& p : net.params()) p.mutable_grad() = torch::Tensor();
  // 64-byte buckets: one or two parameters each, so several start during backward.
  host::GradientReducer reducer(world, net.params(), 64);
  EXPECT_GE(reducer.buckets(), 4);
  reducer.begin(overlap);
  net.loss(rank_data(world.rank())).backward();
  reducer.finish();
  // The unused parameter comes first in backward's order: nothing can start before it is
  // known that it never arrives.
  EXPECT_EQ(reducer.started_during_backward(), 0);
  const std::vector<torch::Tensor> params = net.params();
  for (size_t k = 0; k < params.size(); ++k)
    EXPECT_TRUE(torch::allclose(params[k].grad(), expected[k], 1e-6, 1e-7))
        << "parameter " << k << ": " << params[k].grad() << " vs " << expected[k];
  // A second step sums afresh, not onto the first, in buckets laid out in backward's order:
  // now they start while backward runs.
  for (auto& p : net.params()) p.mutable_grad().zero_();
  reducer.begin(overlap);
  net.loss(rank_data(world.rank())).backward();
  reducer.finish();
  if (overlap)
    EXPECT_GT(reducer.started_during_backward(), 0);
  else
    EXPECT_EQ(reducer.started_during_backward(), 0);
  for (size_t k = 0; k < params.size(); ++k)
    EXPECT_TRUE(torch::allclose(params[k].grad(), expected[k], 1e-6, 1e-7)) << "step 2, " << k;
}

TEST(GradientReducer, SumsEveryRanksGradientsDuringBackward) {
  EXPECT_EQ(test::run_ranks(3, [](World& world) { expect_summed_gradients(world, true); }),
            kAllPassed3);
}

TEST(GradientReducer, SumsTheGradientsAStepWroteWithoutHooks) {
  EXPECT_EQ(test::run_ranks(2, [](World& world) { expect_summed_gradients(world, false); }),
            kAllPassed2);
}

// Buckets hold one dtype (and device) each, filled from the last parameter up to their size,
// and every dtype's gradients are summed.
TEST(GradientReducer, BucketsHoldOneDtypeUpToTheirSize) {
  EXPECT_EQ(test::run_ranks(
                2,
                [](World& world) {
                  const double r = world.rank() + 1.0;
                  auto param = [&](torch::ScalarType type) {
                    torch::Tensor p = torch::zeros({10}, type).requires_grad_(true);
                    p.mutable_grad() = torch::full({10}, r, type);
                    return p;
                  };
                  // Backward order d, c, b, a: float, double, float, float.
                  std::vector<torch::Tensor> params = {param(torch::kFloat), param(torch::kFloat),
                                                       param(torch::kDouble), param(torch::kFloat)};
                  host::GradientReducer roomy(world, params, 1 << 20);
                  EXPECT_EQ(roomy.buckets(), 3) << "d | c | b a";
                  host::GradientReducer tight(world, params,
                                              80);  // two float gradients of 40 bytes
                  EXPECT_EQ(tight.buckets(), 3);
                  host::GradientReducer tiny(world, params, 40);
                  EXPECT_EQ(tiny.buckets(), 4);
                  roomy.begin(false);
                  roomy.finish();
                  for (const auto& p : params)
                    EXPECT_TRUE(torch::equal(p.grad(), torch::full({10}, 3.0, p.scalar_type())));
                }),
            kAllPassed2);
}

// Two ranks, each with half of a batch of 8 (3 + 5: unequal shares), through gear::batch_norm,
// against torch's BatchNorm2d on the whole batch in one process.
TEST(BatchNormAcrossRanks, MatchesOneProcessOnTheWholeBatch) {
  EXPECT_EQ(test::run_ranks(
                2,
                [](World& world) {
                  torch::manual_seed(3);
                  const torch::Tensor x = torch::randn({8, 4, 3, 3}) * 2 + 1;
                  const torch::Tensor upstream = torch::randn({8, 4, 3, 3});
                  auto make = [] {
                    torch::nn::BatchNorm2d norm(4);
                    torch::NoGradGuard no_grad;
                    norm->weight.copy_(torch::tensor({0.5, 1.0, 1.5, 2.0}));
                    norm->bias.copy_(torch::tensor({0.1, -0.2, 0.3, 0.0}));
                    return norm;
                  };
                  torch::nn::BatchNorm2d reference = make(), mine = make();
                  torch::Tensor whole = x.clone().requires_grad_(true);
                  (reference->forward(whole) * upstream).sum().backward();

                  const int64_t begin = world.rank() == 0 ? 0 : 3, end = world.rank() == 0 ? 3 : 8;
                  torch::Tensor share = x.slice(0, begin, end).clone().requires_grad_(true);
                  torch::Tensor y;
                  {
                    host::LiveRanks live(world);
                    y = batch_norm(*mine, share);
                    (y * upstream.slice(0, begin, end)).sum().backward();
                  }
                  // The whole batch's output, from a fresh copy (the reference's statistics moved).
                  torch::nn::BatchNorm2d again = make();
                  const torch::Tensor full_y = again->forward(x).detach();
                  EXPECT_TRUE(torch::allclose(y.detach(), full_y.slice(0, begin, end), 1e-5, 1e-6));
                  EXPECT_TRUE(
                      torch::allclose(share.grad(), whole.grad().slice(0, begin, end), 1e-5, 1e-6))
                      << share.grad() - whole.grad().slice(0, begin, end);
                  EXPECT_TRUE(torch::allclose(mine->running_mean, reference->running_mean, 1e-6));
                  EXPECT_TRUE(torch::allclose(mine->running_var, reference->running_var, 1e-6));
                  // Parameter gradients are each rank's share; their sum is the whole batch's.
                  const torch::Tensor weight_grads = world.all_gather(mine->weight.grad());
                  EXPECT_TRUE(torch::allclose(weight_grads.sum(0), reference->weight.grad(), 1e-5));
                  const torch::Tensor bias_grads = world.all_gather(mine->bias.grad());
                  EXPECT_TRUE(torch::allclose(bias_grads.sum(0), reference->bias.grad(), 1e-5));
                }),
            kAllPassed2);
}

TEST(BatchNormAcrossRanks, OutsideTrainingStepsEachRankNormalisesAlone) {
  EXPECT_EQ(test::run_ranks(2,
                            [](World& world) {
                              torch::manual_seed(5 + world.rank());
                              const torch::Tensor x = torch::randn({4, 2, 2, 2});
                              torch::nn::BatchNorm2d norm(2), plain(2);
                              // No LiveRanks: growth, pruning and evaluation run whole per rank.
                              EXPECT_TRUE(torch::allclose(batch_norm(*norm, x), plain->forward(x)));
                            }),
            kAllPassed2);
}

}  // namespace
}  // namespace gear
