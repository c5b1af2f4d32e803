#include "gear/host/trainer.h"

#include <gtest/gtest.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <mutex>
#include <thread>

#include "gear/host/data_stream.h"
#include "gear/host/host_schemas.h"
#include "gear/host/optim.h"
#include "gear/host/progress.h"
#include "gear/host/stage_kind.h"
#include "test_support.h"

namespace gear::host {
namespace {

Config train_stage(const std::vector<std::pair<std::string, Value>>& values) {
  return test::make_config(stage_kind("train").schema(), values, "stage.0");
}

TEST(LrSchedule, CosineWithWarmup) {
  LrSchedule s(train_stage({{"lr", Value(0.1)}, {"warmup_epochs", Value(2.0)},
                            {"min_lr", Value(0.0)}}),
               10);
  EXPECT_DOUBLE_EQ(s.at(0.0), 0.0);
  EXPECT_DOUBLE_EQ(s.at(1.0), 0.05);
  EXPECT_DOUBLE_EQ(s.at(2.0), 0.1);
  EXPECT_NEAR(s.at(6.0), 0.05, 1e-12);  // halfway through the cosine part
  EXPECT_NEAR(s.at(10.0), 0.0, 1e-12);
}

TEST(LrSchedule, StepWithMilestonesAndStepSize) {
  LrSchedule m(train_stage({{"lr", Value(1.0)}, {"schedule", Value(std::string("step"))},
                            {"milestones", Value(std::vector<int64_t>{3, 5})}}),
               8);
  EXPECT_DOUBLE_EQ(m.at(2.9), 1.0);
  EXPECT_NEAR(m.at(3.0), 0.1, 1e-12);
  EXPECT_NEAR(m.at(7.5), 0.01, 1e-12);
  LrSchedule every(train_stage({{"lr", Value(1.0)}, {"schedule", Value(std::string("step"))},
                                {"step_size", Value(int64_t{2})}, {"lr_decay", Value(0.5)}}),
                   8);
  EXPECT_DOUBLE_EQ(every.at(1.9), 1.0);
  EXPECT_DOUBLE_EQ(every.at(4.0), 0.25);
  LrSchedule constant(train_stage({{"lr", Value(0.3)}, {"schedule", Value(std::string("constant"))}}),
                      8);
  EXPECT_DOUBLE_EQ(constant.at(7.9), 0.3);
  // The warm-up ends where the step schedule already decayed once: the decayed rate, not lr.
  LrSchedule warm_step(train_stage({{"lr", Value(1.0)},
                                    {"schedule", Value(std::string("step"))},
                                    {"step_size", Value(int64_t{2})},
                                    {"lr_decay", Value(0.5)},
                                    {"warmup_epochs", Value(2.0)}}),
                       8);
  EXPECT_DOUBLE_EQ(warm_step.at(1.0), 0.5);
  EXPECT_DOUBLE_EQ(warm_step.at(2.0), 0.5);
  EXPECT_DOUBLE_EQ(warm_step.at(3.9), 0.5);
  EXPECT_DOUBLE_EQ(warm_step.at(4.0), 0.25);
}

// lr(e) = min + (base - min) (1 + cos(pi (e - w) / (E - w))) / 2 after a linear warm-up of w
// epochs; a floor above zero tells the floor's term and the operands of (base - min) apart.
TEST(LrSchedule, CosineEndsAtItsFloor) {
  LrSchedule s(
      train_stage({{"lr", Value(0.1)}, {"warmup_epochs", Value(2.0)}, {"min_lr", Value(0.01)}}),
      10);
  EXPECT_DOUBLE_EQ(s.at(1.0), 0.05);
  EXPECT_NEAR(s.at(4.0), 0.01 + 0.045 * (1.0 + std::cos(M_PI * 0.25)), 1e-12);
  EXPECT_NEAR(s.at(6.0), 0.055, 1e-12);
  EXPECT_NEAR(s.at(10.0), 0.01, 1e-12);
  EXPECT_NEAR(s.at(12.0), 0.01, 1e-12);  // clamped past the end
  // No warm-up: the cosine starts at the base rate.
  LrSchedule cold(
      train_stage({{"lr", Value(0.2)}, {"warmup_epochs", Value(0.0)}, {"min_lr", Value(0.0)}}), 4);
  EXPECT_DOUBLE_EQ(cold.at(0.0), 0.2);
  EXPECT_NEAR(cold.at(2.0), 0.1, 1e-12);
}

TEST(LrSchedule, WarmUpAsLongAsTheStageIsAllowedLongerIsNot) {
  LrSchedule whole(train_stage({{"lr", Value(0.4)}, {"warmup_epochs", Value(3.0)}}), 3);
  EXPECT_DOUBLE_EQ(whole.at(1.5), 0.2);
  EXPECT_DOUBLE_EQ(whole.at(3.0), 0.4);  // no cosine part left: the base rate, not 0/0
  EXPECT_THROW(LrSchedule(train_stage({{"warmup_epochs", Value(2.0)}}), 1), ConfigError);
  // A stage of zero epochs has no schedule to compare the warm-up with.
  EXPECT_NO_THROW(LrSchedule(train_stage({{"warmup_epochs", Value(2.0)}}), 0));
}

TEST(Optimizers, BuildEachKindWithItsOptions) {
  auto w = torch::zeros({3}, torch::requires_grad());
  auto sgd = make_optimizer(train_stage({{"momentum", Value(0.8)}}), {w});
  auto& sgd_options = static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[0].options());
  EXPECT_DOUBLE_EQ(sgd_options.momentum(), 0.8);
  EXPECT_TRUE(sgd_options.nesterov());
  auto rms = make_optimizer(train_stage({{"optimizer", Value(std::string("rmsprop"))},
                                         {"alpha", Value(0.9)}, {"momentum", Value(0.1)}}),
                            {w});
  auto& rms_options = static_cast<torch::optim::RMSpropOptions&>(rms->param_groups()[0].options());
  EXPECT_DOUBLE_EQ(rms_options.alpha(), 0.9);
  EXPECT_NE(dynamic_cast<torch::optim::SGD*>(sgd.get()), nullptr);
  EXPECT_NE(dynamic_cast<torch::optim::RMSprop*>(rms.get()), nullptr);
  auto adam = make_optimizer(
      train_stage({{"optimizer", Value(std::string("adam"))}, {"beta2", Value(0.95)}}), {w});
  ASSERT_NE(dynamic_cast<torch::optim::Adam*>(adam.get()), nullptr);
  EXPECT_DOUBLE_EQ(
      std::get<1>(
          static_cast<torch::optim::AdamOptions&>(adam->param_groups()[0].options()).betas()),
      0.95);
  EXPECT_THROW(make_optimizer(train_stage({{"momentum", Value(0.0)}}), {w}), ConfigError);
  EXPECT_NO_THROW(
      make_optimizer(train_stage({{"momentum", Value(0.0)}, {"nesterov", Value(false)}}), {w}));
  set_lr(*sgd, 0.123);
  EXPECT_DOUBLE_EQ(sgd->param_groups()[0].options().get_lr(), 0.123);
}

}  // namespace
}  // namespace gear::host

namespace gear::host {
namespace {

TEST(Prefetch, AutoPrefetchesOnlyWhereAThreadIsSpare) {
  const auto cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_FALSE(use_prefetch("auto", torch::kCPU, cores));
  EXPECT_TRUE(use_prefetch("auto", torch::Device(torch::kCUDA, 0), cores));
  if (cores > 1) {
    EXPECT_TRUE(use_prefetch("auto", torch::kCPU, cores - 1));
  }
  EXPECT_TRUE(use_prefetch("on", torch::kCPU, cores));
  EXPECT_FALSE(use_prefetch("off", torch::Device(torch::kCUDA, 0), 1));
  EXPECT_THROW(use_prefetch("sometimes", torch::kCPU, 1), std::invalid_argument);
}

}  // namespace
}  // namespace gear::host

namespace gear::host {
namespace {

// Records what each training step saw: the learning rate the optimizer held while the loss was
// computed, the batch's loss, correct count and size.
class RecordingObjective final : public Objective {
 public:
  explicit RecordingObjective(torch::optim::Optimizer*& optimizer) : optimizer_(optimizer) {}
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override {
    ObjectiveValue value;
    value.logits = net.forward(batch.views.front());
    value.loss = torch::nn::functional::cross_entropy(value.logits, batch.labels);
    value.figures["twice_loss"] = 2.0 * value.loss.detach();
    lrs.push_back(optimizer_->param_groups()[0].options().get_lr());
    losses.push_back(value.loss.item<double>());
    correct.push_back(value.logits.argmax(1).eq(batch.labels).sum().item<int64_t>());
    sizes.push_back(batch.labels.size(0));
    return value;
  }
  std::vector<double> lrs, losses;
  std::vector<int64_t> correct, sizes;

 private:
  torch::optim::Optimizer*& optimizer_;
};

DeviceData random_images(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  return {torch::randint(0, 256, {n, 1, 28, 28}).to(torch::kUInt8), torch::randint(0, 10, {n})};
}

// One epoch of 3 steps from the same initial net, with `precision`; returns the parameters.
struct PrecisionRun {
  std::vector<torch::Tensor> params;
  PassStats stats;
  std::vector<torch::ScalarType> logit_types;
};

class DtypeObjective final : public Objective {
 public:
  ObjectiveValue compute(GrowableNet& net, const ObjectiveBatch& batch) override {
    ObjectiveValue value;
    value.logits = net.forward(batch.views.front());
    {
      std::lock_guard<std::mutex> lock(mutex_);  // batch-split workers call it concurrently
      types.push_back(value.logits.scalar_type());
    }
    value.loss = torch::nn::functional::cross_entropy(value.logits, batch.labels);
    return value;
  }
  std::vector<torch::ScalarType> types;

 private:
  std::mutex mutex_;
};

PrecisionRun train_with(const StepPrecision& precision, int split_workers = 0) {
  const DeviceData data = random_images(48, 3);
  Normalizer normalizer({0.5}, {0.25}, torch::kCPU, false);
  torch::manual_seed(4);
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.0625);
  const Config stage = train_stage({{"lr", Value(0.05)}});
  auto optimizer = make_optimizer(stage, net->parameters());
  LrSchedule schedule(stage, 1);
  DtypeObjective objective;
  BatchStream stream(data, 16, nullptr, normalizer, false);
  stream.start_epoch(2);
  Progress progress(false);
  EpochCursor cursor;
  PrecisionRun run;
  run.stats = train_epoch(*net, stream, *optimizer, schedule, 0, objective, progress, split_workers,
                          cursor, {}, precision);
  for (const auto& p : net->parameters()) run.params.push_back(p.detach().clone());
  run.logit_types = objective.types;
  return run;
}

double max_difference(const PrecisionRun& a, const PrecisionRun& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.params.size(); ++i)
    worst = std::max(worst, (a.params[i] - b.params[i]).abs().max().item<double>());
  return worst;
}

// A power-of-two loss scale is exact in float: scaled, then unscaled, the steps are fp32's.
TEST(TrainEpoch, ALossScaleUnscaledBeforeTheStepLeavesTheStepsAsTheyWere) {
  const PrecisionRun plain = train_with({});
  GradScaler scaler(1024.0);
  const PrecisionRun scaled = train_with({Precision::kFp32, &scaler});
  EXPECT_EQ(max_difference(plain, scaled), 0.0);
  EXPECT_EQ(scaler.good_steps(), 3);
  EXPECT_NEAR(scaled.stats.loss, plain.stats.loss, 1e-12) << "the loss is reported unscaled";
}

// A scale that overflows every gradient: each step is skipped (the weights stay the initial
// ones) and the scale halves per step.
TEST(TrainEpoch, OverflowedScaledGradientsSkipTheStep) {
  GradScaler scaler(1e45);  // beyond float even halved 3 times: every gradient is infinite
  const PrecisionRun overflowed = train_with({Precision::kFp32, &scaler});
  torch::manual_seed(4);
  auto initial = test::build_net("vgg11", {1, 28, 28}, 0.0625);
  const auto params = initial->parameters();
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(torch::equal(overflowed.params[i], params[i])) << "parameter " << i << " moved";
  EXPECT_DOUBLE_EQ(scaler.scale(), 1e45 / 8.0);
  EXPECT_TRUE(std::isfinite(overflowed.stats.loss));
}

// bf16 autocast on the CPU: the forward pass computes in bfloat16 (the logits say so), the
// weights stay float32, and the steps land near fp32's; so with the batch split over 2 workers,
// whose batch norm computes the bf16 activations' statistics in float32.
TEST(TrainEpoch, Bf16AutocastTrainsCloseToFp32) {
  const PrecisionRun fp32 = train_with({});
  for (int workers : {0, 2}) {
    const PrecisionRun bf16 = train_with({Precision::kBf16, nullptr}, workers);
    ASSERT_EQ(bf16.logit_types.size(), workers ? 6u : 3u);
    for (auto type : bf16.logit_types) EXPECT_EQ(type, torch::kBFloat16) << workers;
    for (const auto& p : bf16.params) EXPECT_EQ(p.scalar_type(), torch::kFloat);
    const double difference = max_difference(fp32, bf16);
    EXPECT_GT(difference, 0.0) << "autocast changed nothing";
    EXPECT_LT(difference, 2e-2) << workers;
    EXPECT_NEAR(bf16.stats.loss, fp32.stats.loss, 0.05) << workers;
  }
  EXPECT_EQ(train_with({}).logit_types, std::vector<torch::ScalarType>(3, torch::kFloat));
}

// The epoch's statistics are sample-weighted means over its batches (the last one is short), and
// step k of epoch e trains at the schedule's rate for e + k / steps.
TEST(TrainEpoch, StatisticsAreSampleWeightedAndTheRateFollowsTheSchedulePerStep) {
  const DeviceData data = random_images(40, 3);
  Normalizer normalizer({0.5}, {0.25}, torch::kCPU, false);
  torch::manual_seed(4);
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.0625);
  const std::vector<torch::Tensor> before = [&] {
    std::vector<torch::Tensor> copies;
    for (const auto& p : net->parameters()) copies.push_back(p.detach().clone());
    return copies;
  }();
  const Config stage = train_stage({{"lr", Value(0.3)}});
  auto optimizer = make_optimizer(stage, net->parameters());
  torch::optim::Optimizer* raw = optimizer.get();
  LrSchedule schedule(stage, 3);
  RecordingObjective objective(raw);
  BatchStream stream(data, 16, nullptr, normalizer, false);
  stream.start_epoch(2);
  ASSERT_EQ(stream.batches_per_epoch(), 3);
  Progress progress(false);
  progress.begin("epoch", 3);
  EpochCursor cursor;
  const PassStats stats =
      train_epoch(*net, stream, *optimizer, schedule, 1, objective, progress, 0, cursor);

  ASSERT_EQ(objective.sizes, (std::vector<int64_t>{16, 16, 8}));
  for (int k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(objective.lrs[k], schedule.at(1.0 + k / 3.0)) << k;
  double loss = 0.0, correct = 0.0;
  for (int k = 0; k < 3; ++k) {
    loss += objective.losses[k] * static_cast<double>(objective.sizes[k]);
    correct += static_cast<double>(objective.correct[k]);
  }
  EXPECT_EQ(stats.samples, 40);
  EXPECT_EQ(cursor.step, 3);
  EXPECT_NEAR(stats.loss, loss / 40.0, 1e-5);
  EXPECT_DOUBLE_EQ(stats.accuracy, correct / 40.0);
  EXPECT_NEAR(stats.figures.at("twice_loss"), 2.0 * loss / 40.0, 1e-5);
  // Each step was applied: the weights moved.
  bool moved = false;
  auto after = net->parameters();
  for (size_t i = 0; i < after.size(); ++i) moved |= !torch::equal(after[i], before[i]);
  EXPECT_TRUE(moved);
}

// Evaluation in batches that do not divide the data equals one pass over all of it, in eval mode,
// and leaves the net in the mode it found it in.
TEST(Evaluate, EqualsOnePassOverAllSamplesInEvalMode) {
  const DeviceData data = random_images(10, 6);
  Normalizer normalizer({0.5}, {0.25}, torch::kCPU, false);
  torch::manual_seed(8);
  auto net = test::build_net("vgg11", {1, 28, 28}, 0.0625);
  net->train();
  const PassStats stats = evaluate(*net, data, 4, normalizer);
  EXPECT_TRUE(net->is_training());
  torch::Tensor logits;
  {
    torch::NoGradGuard no_grad;
    net->eval();
    logits = net->forward(normalizer(data.images));
    net->train();
  }
  EXPECT_EQ(stats.samples, 10);
  EXPECT_NEAR(stats.loss, torch::nn::functional::cross_entropy(logits, data.labels).item<double>(),
              1e-5);
  EXPECT_DOUBLE_EQ(stats.accuracy, logits.argmax(1).eq(data.labels).sum().item<double>() / 10.0);
  // Batches that divide the data exactly: no empty batch at the end.
  const PassStats fives = evaluate(*net, data, 5, normalizer);
  EXPECT_EQ(fives.samples, 10);
  EXPECT_NEAR(fives.loss, stats.loss, 1e-5);
  EXPECT_DOUBLE_EQ(fives.accuracy, stats.accuracy);
  net->eval();
  evaluate(*net, data, 4, normalizer);
  EXPECT_FALSE(net->is_training());
}

}  // namespace
}  // namespace gear::host
