#include "gear/host/trainer.h"

#include <gtest/gtest.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <thread>

#include "gear/host/data_stream.h"
#include "gear/host/host_schemas.h"
#include "gear/host/optim.h"
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
  EXPECT_NO_THROW(make_optimizer(train_stage({{"optimizer", Value(std::string("adam"))}}), {w}));
  EXPECT_THROW(make_optimizer(train_stage({{"momentum", Value(0.0)}}), {w}), ConfigError);
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
