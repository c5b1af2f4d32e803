// The data passes of grow and prune stages (gear/host/stage_passes.h): sharded over forked ranks,
// every pass's shards put together in rank order are that pass's whole batches, with each rank's
// share of them; sums across ranks land in the callers' tensors, whatever their layout and dtype.

#include "gear/host/stage_passes.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "rank_processes.h"

namespace gear {
namespace {

using host::StagePasses;
using host::World;

// 23 samples whose label is their index: a batch's labels say which samples it holds.
host::DeviceData indexed_data() {
  host::DeviceData data;
  data.images = torch::arange(23, torch::kUInt8).view({23, 1, 1, 1}).expand({23, 1, 2, 2}).clone();
  data.labels = torch::arange(23, torch::kLong);
  return data;
}

// The labels of every batch of one pass, in order.
std::vector<torch::Tensor> whole_batches(const host::DeviceData& data, uint64_t seed) {
  StagePasses whole(data, 8, nullptr, host::Normalizer(), false, seed, nullptr);
  std::vector<torch::Tensor> out;
  whole.for_each_batch(
      [&](const torch::Tensor&, const torch::Tensor& labels) { out.push_back(labels.clone()); }, 0);
  return out;
}

TEST(StagePasses, ShardsPutTogetherInRankOrderAreEachPasssWholeBatches) {
  EXPECT_EQ(
      test::run_ranks(
          3,
          [](World& world) {
            const host::DeviceData data = indexed_data();
            StagePasses passes(data, 8, nullptr, host::Normalizer(), false, 11, &world);
            for (int pass = 1; pass <= 2; ++pass) {
              // The pass-th whole pass of a one-process StagePasses of the same seed.
              StagePasses whole(data, 8, nullptr, host::Normalizer(), false, 11, nullptr);
              std::vector<torch::Tensor> expected;
              for (int p = 1; p <= pass; ++p) {
                expected.clear();
                whole.for_each_batch(
                    [&](const torch::Tensor&, const torch::Tensor& labels) {
                      expected.push_back(labels.clone());
                    },
                    0);
              }
              size_t batch = 0;
              passes.for_each_shard(
                  [&](const torch::Tensor& images, const torch::Tensor& labels, double share) {
                    ASSERT_LT(batch, expected.size());
                    const int64_t global = expected[batch].size(0);
                    EXPECT_DOUBLE_EQ(share, static_cast<double>(labels.size(0)) / global);
                    // Images are the labelled samples, normalised to [0, 1].
                    EXPECT_TRUE(torch::allclose(images.select(1, 0).select(1, 0).select(1, 0),
                                                labels.to(torch::kFloat) / 255.0));
                    // Pad each share to the batch size (-1) to gather them.
                    torch::Tensor padded = torch::full({8}, -1, torch::kLong);
                    padded.slice(0, 0, labels.size(0)).copy_(labels);
                    torch::Tensor all = world.all_gather(padded).reshape({-1});
                    torch::Tensor joined = all.masked_select(all.ge(0));
                    EXPECT_TRUE(torch::equal(joined, expected[batch]))
                        << "pass " << pass << " batch " << batch;
                    EXPECT_NEAR(
                        world.sum(torch::tensor({share}, torch::kDouble), "test").item<double>(),
                        1.0, 1e-12);
                    ++batch;
                  },
                  0);
              EXPECT_EQ(batch, expected.size()) << "every rank steps through every batch";
            }
            EXPECT_EQ(passes.counts().passes, 2);
            EXPECT_EQ(passes.counts().batches, 6);
            EXPECT_TRUE(passes.counts().sharded);
            // Shares of 8 over 3 ranks: 2, 3, 3; of the last batch's 7: 2, 2, 3.
            const int64_t mine[] = {2 + 2 + 2, 3 + 3 + 2, 3 + 3 + 3};
            EXPECT_EQ(passes.counts().samples, 2 * mine[world.rank()]);
          }),
      (std::vector<int>{0, 0, 0}));
}

TEST(StagePasses, SumsAcrossRanksLandInPlaceInEveryDtypeAndLayout) {
  EXPECT_EQ(test::run_ranks(
                2,
                [](World& world) {
                  const host::DeviceData data = indexed_data();
                  StagePasses passes(data, 8, nullptr, host::Normalizer(), false, 3, &world);
                  const double r = world.rank() + 1.0;  // 1 and 2
                  torch::Tensor base = torch::arange(6, torch::kFloat).view({2, 3}) * r;
                  torch::Tensor transposed = base.t();  // a non-contiguous view of base
                  torch::Tensor scores = torch::full({4}, 0.5 * r, torch::kDouble);
                  torch::Tensor counts = torch::tensor({static_cast<int64_t>(r)}, torch::kLong);
                  torch::Tensor after = torch::tensor({-r, r}, torch::kFloat);
                  passes.sum_across_ranks({transposed, scores, counts, after});
                  EXPECT_TRUE(torch::equal(base, torch::arange(6, torch::kFloat).view({2, 3}) * 3));
                  EXPECT_TRUE(torch::equal(scores, torch::full({4}, 1.5, torch::kDouble)));
                  EXPECT_EQ(counts.item<int64_t>(), 3);
                  EXPECT_TRUE(torch::equal(after, torch::tensor({-3.0f, 3.0f})));
                  EXPECT_EQ(passes.counts().sums, 1);
                  EXPECT_EQ(world.traffic()["stages"].calls, 3) << "one exchange per dtype";
                }),
            (std::vector<int>{0, 0}));
}

TEST(StagePasses, InOneProcessAShardIsTheWholeBatchAndSumsChangeNothing) {
  const host::DeviceData data = indexed_data();
  const std::vector<torch::Tensor> expected = whole_batches(data, 5);
  StagePasses passes(data, 8, nullptr, host::Normalizer(), false, 5, nullptr);
  size_t batch = 0;
  passes.for_each_shard(
      [&](const torch::Tensor&, const torch::Tensor& labels, double share) {
        EXPECT_EQ(share, 1.0);
        EXPECT_TRUE(torch::equal(labels, expected.at(batch++)));
      },
      2);
  EXPECT_EQ(batch, 2u) << "max_batches stops the pass";
  torch::Tensor t = torch::ones({3});
  passes.sum_across_ranks({t});
  EXPECT_TRUE(torch::equal(t, torch::ones({3})));
  EXPECT_EQ(passes.counts().sums, 0);
  EXPECT_FALSE(passes.counts().sharded);
  EXPECT_EQ(passes.counts().samples, 16);
}

}  // namespace
}  // namespace gear
