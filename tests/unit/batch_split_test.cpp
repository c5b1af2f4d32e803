// Batch-split training: gear::batch_norm inside a split gives the full batch's values, gradients
// and running statistics; a split step on VGG gives the full batch's gradients; failures and
// mismatched rendezvous release every worker with an error.
#include "gear/batch_split.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/batchnorm.h>

#include <atomic>
#include <stdexcept>

#include "gear/batch_norm.h"
#include "gear/host/batch_split_step.h"
#include "gear/host/trainer.h"
#include "gear/host/worker_pool.h"
#include "norm_copy.h"
#include "test_support.h"

namespace gear::host {
namespace {

torch::nn::BatchNorm2d make_norm(int64_t channels, torch::Dtype dtype) {
  torch::nn::BatchNorm2d norm(torch::nn::BatchNorm2dOptions(channels).momentum(0.3));
  norm->to(dtype);
  torch::NoGradGuard no_grad;
  norm->weight.uniform_(0.5, 1.5);
  norm->bias.uniform_(-0.5, 0.5);
  norm->running_mean.uniform_(-1, 1);
  norm->running_var.uniform_(0.5, 2);
  return norm;
}

struct Result {
  torch::Tensor y, dx, dw, db, running_mean, running_var, batches;
};

// The whole batch through torch::nn::BatchNorm2d: the definition the split must reproduce.
Result reference(const torch::Tensor& x, const torch::Tensor& grad, torch::nn::BatchNorm2d norm) {
  torch::Tensor input = x.clone().requires_grad_();
  torch::Tensor y = norm->forward(input);
  auto g = torch::autograd::grad({y}, {input, norm->weight, norm->bias}, {grad});
  return {y.detach(),
          g[0],
          g[1],
          g[2],
          norm->running_mean.clone(),
          norm->running_var.clone(),
          norm->num_batches_tracked.clone()};
}

// The same batch cut at `cuts` into shares, one per worker, through gear::batch_norm.
Result split(const torch::Tensor& x, const torch::Tensor& grad, torch::nn::BatchNorm2d norm,
             const std::vector<int64_t>& cuts) {
  const int workers = static_cast<int>(cuts.size()) - 1;
  BatchSplit rendezvous(workers);
  std::vector<torch::Tensor> ys(workers), dxs(workers), dws(workers), dbs(workers);
  WorkerPool pool(workers);
  pool.run([&](int rank) {
    BatchSplitScope scope(rendezvous, rank);
    torch::Tensor input = x.slice(0, cuts[rank], cuts[rank + 1]).clone().requires_grad_();
    torch::Tensor y = batch_norm(*norm, input);
    auto g = torch::autograd::grad({y}, {input, norm->weight, norm->bias},
                                   {grad.slice(0, cuts[rank], cuts[rank + 1])});
    ys[rank] = y.detach();
    dxs[rank] = g[0];
    dws[rank] = g[1];
    dbs[rank] = g[2];
  });
  torch::Tensor dw = dws[0], db = dbs[0];
  for (int r = 1; r < workers; ++r) {
    dw = dw + dws[r];
    db = db + dbs[r];
  }
  return {torch::cat(ys),
          torch::cat(dxs),
          dw,
          db,
          norm->running_mean.clone(),
          norm->running_var.clone(),
          norm->num_batches_tracked.clone()};
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, double tol, const char* what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_LT((a - b).abs().max().item<double>(), tol) << what;
}

void expect_same(const Result& a, const Result& b, double tol) {
  expect_close(a.y, b.y, tol, "output");
  expect_close(a.dx, b.dx, tol, "input gradient");
  expect_close(a.dw, b.dw, tol, "weight gradient");
  expect_close(a.db, b.db, tol, "bias gradient");
  expect_close(a.running_mean, b.running_mean, tol, "running mean");
  expect_close(a.running_var, b.running_var, tol, "running var");
  EXPECT_EQ(a.batches.item<int64_t>(), b.batches.item<int64_t>());
}

TEST(BatchSplitNorm, UnevenSharesGiveTheFullBatchInDouble) {
  torch::manual_seed(3);
  // Shares of different means and scales: a per-share ("ghost") statistic would differ widely.
  torch::Tensor x = torch::randn({7, 5, 3, 4}, torch::kDouble) * 2 + 1;
  x.slice(0, 0, 3).mul_(3).add_(-4);
  torch::Tensor grad = torch::randn_like(x);
  auto norm = make_norm(5, torch::kDouble);
  auto copy = test::copy_of_norm(norm);
  Result want = reference(x, grad, norm);
  Result got = split(x, grad, copy, {0, 3, 7});
  expect_same(want, got, 1e-10);
  // Ghost statistics would be far off: the split really combined the shares.
  torch::Tensor ghost = torch::batch_norm(x.slice(0, 0, 3), {}, {}, {}, {}, true, 0.1, 1e-5, false);
  EXPECT_GT((ghost - (want.y.slice(0, 0, 3) - norm->bias.view({1, 5, 1, 1})) /
                         norm->weight.view({1, 5, 1, 1}))
                .abs()
                .max()
                .item<double>(),
            0.5);
}

TEST(BatchSplitNorm, ThreeWorkersInFloatAndOneSampleShares) {
  torch::manual_seed(4);
  torch::Tensor x = torch::randn({5, 3, 2, 2});
  torch::Tensor grad = torch::randn_like(x);
  auto norm = make_norm(3, torch::kFloat);
  auto copy = test::copy_of_norm(norm);
  expect_same(reference(x, grad, norm), split(x, grad, copy, {0, 1, 2, 5}), 2e-5);
}

TEST(BatchSplitNorm, FrozenAffineParametersStillGiveTheInputGradient) {
  torch::manual_seed(6);
  torch::Tensor x = torch::randn({6, 2, 3, 3}, torch::kDouble);
  torch::Tensor grad = torch::randn_like(x);
  auto norm = make_norm(2, torch::kDouble);
  auto copy = test::copy_of_norm(norm);
  for (auto* m : {&norm, &copy}) {
    (*m)->weight.requires_grad_(false);
    (*m)->bias.requires_grad_(false);
  }
  torch::Tensor input = x.clone().requires_grad_();
  torch::Tensor want = torch::autograd::grad({norm->forward(input)}, {input}, {grad})[0];
  BatchSplit rendezvous(2);
  std::vector<torch::Tensor> dxs(2);
  WorkerPool pool(2);
  pool.run([&](int rank) {
    BatchSplitScope scope(rendezvous, rank);
    torch::Tensor share = x.slice(0, 3 * rank, 3 * rank + 3).clone().requires_grad_();
    dxs[rank] = torch::autograd::grad({batch_norm(*copy, share)}, {share},
                                      {grad.slice(0, 3 * rank, 3 * rank + 3)})[0];
  });
  expect_close(torch::cat(dxs), want, 1e-10, "input gradient");
}

TEST(BatchSplitNorm, OutsideASplitOrInEvalItIsTheModule) {
  auto norm = make_norm(4, torch::kFloat);
  torch::Tensor x = torch::randn({6, 4, 3, 3});
  norm->eval();
  BatchSplit rendezvous(2);
  BatchSplitScope scope(rendezvous, 0);  // eval: no rendezvous, so one worker cannot block
  EXPECT_TRUE(torch::equal(batch_norm(*norm, x), norm->forward(x)));
}

TEST(BatchSplit, AFailingWorkerReleasesTheOthersAndItsErrorReachesTheCaller) {
  BatchSplit rendezvous(2);
  WorkerPool pool(2);
  std::atomic<bool> released{false};
  try {
    pool.run(
        [&](int rank) {
          if (rank == 1) throw std::runtime_error("worker 1 broke");
          try {
            rendezvous.all_gather(0, torch::ones({1}), &rendezvous);
          } catch (const std::runtime_error&) {
            released = true;
            throw;
          }
        },
        [&] { rendezvous.abort("worker 1 broke"); });
    FAIL() << "expected the worker's exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("worker 1 broke"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(released);
}

TEST(BatchSplit, MismatchedRendezvousIsAnErrorNotMixedStatistics) {
  BatchSplit rendezvous(2);
  WorkerPool pool(2);
  int first = 0, second = 0;
  EXPECT_THROW(pool.run([&](int rank) {
    rendezvous.all_gather(rank, torch::ones({1}), rank == 0 ? &first : &second);
  }),
               std::logic_error);
}

TEST(WorkerPool, WorkersRunOneIntraOpThreadAndTheCountIsRestored) {
  at::set_num_threads(2);
  {
    WorkerPool pool(2);
    std::vector<int> seen(2, 0);
    pool.run([&](int rank) { seen[rank] = at::get_num_threads(); });
    EXPECT_EQ(seen, (std::vector<int>{1, 1}));
  }
  EXPECT_EQ(at::get_num_threads(), 2);
}

// Smoothed cross-entropy on the first view, with the mean logit as a figure: what a split step
// must reproduce (loss, gradients and figures weighted by share).
class SmoothedCrossEntropy final : public Objective {
 public:
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override {
    ObjectiveValue value;
    value.logits = net.forward(batch.views.front());
    value.loss = torch::nn::functional::cross_entropy(
        value.logits, batch.labels,
        torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(0.1));
    value.figures["mean_logit"] = value.logits.detach().mean();
    return value;
  }
};

// A split step of `architecture` against one pass over the whole batch: loss, figures, correct
// count, every gradient and every BatchNorm buffer. A BatchNorm left on torch's own forward would
// normalise each share by its own statistics and fail the gradients.
void expect_split_step_equals_full_batch(const std::string& architecture) {
  SCOPED_TRACE(architecture);
  auto net = test::build_net(architecture, {1, 28, 28}, 0.125);
  ASSERT_TRUE(batch_splittable(*net));
  // In double, so that what is compared is the split's arithmetic, not float32 rounding, which
  // the deep, narrow MobileNets amplify to ~1e-3 of a gradient.
  net->to(torch::kDouble);
  net->train();
  torch::manual_seed(5);
  Batch batch;
  batch.images = torch::randn({9, 1, 28, 28}, torch::kDouble);
  batch.views = {batch.images};
  batch.labels = torch::randint(0, 10, {9});
  auto state = [&] {
    std::vector<torch::Tensor> out;
    for (const auto& b : net->buffers()) out.push_back(b.clone());
    return out;
  };
  const auto before = state();

  SmoothedCrossEntropy objective;
  ObjectiveValue full = compute_objective(objective, *net, batch);
  torch::Tensor loss = full.loss, logits = full.logits;
  std::vector<torch::Tensor> params = net->parameters();
  auto want = torch::autograd::grad({loss}, params);
  const auto after_full = state();
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < before.size(); ++i) net->buffers()[i].copy_(before[i]);
  }
  WorkerPool pool(2);
  StepResult got = split_step(*net, batch, objective, pool);
  EXPECT_NEAR(got.loss.item<double>(), loss.item<double>(), 1e-5);
  EXPECT_NEAR(got.figures.at("mean_logit").item<double>(),
              full.figures.at("mean_logit").item<double>(), 1e-5);
  EXPECT_EQ(got.correct.item<int64_t>(), logits.argmax(1).eq(batch.labels).sum().item<int64_t>());
  for (size_t i = 0; i < params.size(); ++i) {
    const double scale = want[i].abs().max().item<double>() + 1e-6;
    EXPECT_LT((params[i].grad() - want[i]).abs().max().item<double>() / scale, 1e-9)
        << "parameter " << i;
  }
  const auto after_split = state();
  for (size_t i = 0; i < after_full.size(); ++i)
    EXPECT_TRUE(torch::allclose(after_split[i], after_full[i], 1e-4, 1e-5)) << "buffer " << i;
}

TEST(BatchSplitStep, VggGradientsAndLossEqualTheFullBatch) {
  expect_split_step_equals_full_batch("vgg11");
}

TEST(BatchSplitStep, ResNetGradientsAndLossEqualTheFullBatch) {
  expect_split_step_equals_full_batch("resnet18");
}

TEST(BatchSplitStep, MobileNetV1GradientsAndLossEqualTheFullBatch) {
  expect_split_step_equals_full_batch("mobilenet_v1");
}

TEST(BatchSplitStep, MobileNetV2GradientsAndLossEqualTheFullBatch) {
  expect_split_step_equals_full_batch("mobilenet_v2");
}

TEST(BatchSplitWorkers, ModeResolution) {
  std::string why;
  EXPECT_EQ(batch_split_workers("auto", torch::kCPU, 2, true, &why), 2);
  EXPECT_EQ(batch_split_workers("auto", torch::kCPU, 1, true, &why), 0);
  EXPECT_EQ(batch_split_workers("intra_op", torch::kCPU, 2, true, &why), 0);
  EXPECT_EQ(batch_split_workers("auto", torch::kCPU, 2, false, &why), 0);
  EXPECT_TRUE(why.empty()) << "auto falls back quietly";
  EXPECT_EQ(batch_split_workers("batch_split", torch::kCPU, 2, false, &why), 0);
  EXPECT_NE(why.find("BatchSplittable"), std::string::npos) << why;
  why.clear();
  EXPECT_EQ(batch_split_workers("batch_split", torch::Device("cuda:0"), 2, true, &why), 0);
  EXPECT_NE(why.find("CPU"), std::string::npos) << why;
}

}  // namespace
}  // namespace gear::host
