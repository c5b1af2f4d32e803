// gear::batch_norm_act against its definition, activation(batch_norm(x) + residual) with
// torch's own ops: values, every gradient and the running statistics, in both memory layouts,
// with and without a residual, for each activation, on several intra-op threads and inside a
// batch split; in evaluation mode, its one pass from the running statistics, and the cases that
// keep the separate ops.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/autograd.h>
#include <torch/nn/modules/batchnorm.h>

#include <string>
#include <tuple>
#include <vector>

#include "gear/batch_norm.h"
#include "gear/batch_split.h"
#include "gear/host/worker_pool.h"
#include "norm_copy.h"
#include "op_calls.h"

namespace gear::fused_norm_test {
namespace {

// Weights about 3 and biases about 2 put the normalised values on both sides of 0 and of 6.
torch::nn::BatchNorm2d make_norm(int64_t channels, torch::Dtype dtype) {
  torch::nn::BatchNorm2d norm(torch::nn::BatchNorm2dOptions(channels).momentum(0.3));
  norm->to(dtype);
  torch::NoGradGuard no_grad;
  norm->weight.uniform_(2.0, 4.0);
  norm->bias.uniform_(1.0, 3.0);
  norm->running_mean.uniform_(-1, 1);
  norm->running_var.uniform_(0.5, 2);
  return norm;
}

struct Result {
  torch::Tensor y, dx, dr, dw, db, running_mean, running_var;
};

// The output, the gradients of `y` with `grad` for the input, the residual (if any) and the
// norm's parameters, and the norm's running statistics.
Result collect(const torch::Tensor& y, const torch::Tensor& grad, const torch::Tensor& input,
               const torch::Tensor& residual, torch::nn::BatchNorm2dImpl& norm) {
  std::vector<torch::Tensor> wrt = {input, norm.weight, norm.bias};
  if (residual.defined()) wrt.push_back(residual);
  auto g = torch::autograd::grad({y}, wrt, {grad});
  return {y.detach(),
          g[0],
          residual.defined() ? g[3] : torch::Tensor(),
          g[1],
          g[2],
          norm.running_mean.clone(),
          norm.running_var.clone()};
}

torch::Tensor activate(const torch::Tensor& z, NormActivation activation) {
  if (activation == NormActivation::kRelu) return torch::relu(z);
  if (activation == NormActivation::kRelu6) return torch::clamp(z, 0.0, 6.0);
  return z;
}

// The definition: torch::nn::BatchNorm2d, then +, then the activation, in NCHW.
Result reference(const torch::Tensor& x, const torch::Tensor& r, const torch::Tensor& grad,
                 torch::nn::BatchNorm2d norm, NormActivation activation) {
  torch::Tensor input = x.contiguous().requires_grad_();
  torch::Tensor residual = r.defined() ? r.contiguous().requires_grad_() : torch::Tensor();
  torch::Tensor z = norm->forward(input);
  if (residual.defined()) z = z + residual;
  torch::Tensor y = activate(z, activation);
  return collect(y, grad.contiguous(), input, residual, *norm);
}

Result fused(const torch::Tensor& x, const torch::Tensor& r, const torch::Tensor& grad,
             torch::nn::BatchNorm2d norm, NormActivation activation) {
  torch::Tensor input = x.clone(x.suggest_memory_format()).requires_grad_();
  torch::Tensor residual = r.defined() ? r.clone().requires_grad_() : torch::Tensor();
  torch::Tensor y = batch_norm_act(*norm, input, activation, residual);
  EXPECT_TRUE(y.is_contiguous(x.suggest_memory_format())) << "the output keeps the layout";
  return collect(y, grad, input, residual, *norm);
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, double tol, const char* what) {
  ASSERT_EQ(a.defined(), b.defined()) << what;
  if (!a.defined()) return;
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_LE((a - b).abs().max().item<double>(), tol) << what;
}

void expect_same(const Result& a, const Result& b, double tol) {
  expect_close(a.y, b.y, tol, "output");
  expect_close(a.dx, b.dx, tol, "input gradient");
  expect_close(a.dr, b.dr, tol, "residual gradient");
  expect_close(a.dw, b.dw, tol, "weight gradient");
  expect_close(a.db, b.db, tol, "bias gradient");
  expect_close(a.running_mean, b.running_mean, tol, "running mean");
  expect_close(a.running_var, b.running_var, tol, "running var");
}

// 5 x 7 x 9 = 315 pixels: channels-last slices of 128, 128 and a short 59.
torch::Tensor input_of(bool channels_last, torch::Dtype dtype) {
  torch::Tensor x = torch::randn({5, 6, 7, 9}, dtype) * 1.5 + 0.7;
  return channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
}

using Case = std::tuple<bool, NormActivation, bool>;  // channels-last, activation, residual

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  static const char* const kNames[] = {"Identity", "Relu", "Relu6"};
  return std::string(std::get<0>(info.param) ? "ChannelsLast" : "Nchw") +
         kNames[static_cast<int>(std::get<1>(info.param))] +
         (std::get<2>(info.param) ? "Residual" : "");
}

// Both layouts x every activation x with and without a residual.
auto every_case() {
  return ::testing::Combine(
      ::testing::Bool(),
      ::testing::Values(NormActivation::kIdentity, NormActivation::kRelu, NormActivation::kRelu6),
      ::testing::Bool());
}

class BatchNormAct : public ::testing::TestWithParam<Case> {};

TEST_P(BatchNormAct, EqualsTheSeparateOpsInDouble) {
  const auto [channels_last, activation, with_residual] = GetParam();
  torch::manual_seed(11);
  torch::Tensor x = input_of(channels_last, torch::kDouble);
  torch::Tensor r = with_residual ? torch::randn({5, 6, 7, 9}, torch::kDouble) : torch::Tensor();
  torch::Tensor grad = torch::randn({5, 6, 7, 9}, torch::kDouble);
  auto norm = make_norm(6, torch::kDouble);
  auto copy = test::copy_of_norm(norm);
  Result want = reference(x, r, grad, norm, activation);
  Result got = fused(x, r, grad, copy, activation);
  expect_same(want, got, 1e-10);
  EXPECT_EQ(copy->num_batches_tracked.item<int64_t>(), 1);
  if (activation == NormActivation::kRelu6) {
    // The inputs reach both ends of ReLU6, so both ends of its mask are checked.
    EXPECT_GT((want.y == 0).sum().item<int64_t>(), 0);
    EXPECT_GT((want.y == 6).sum().item<int64_t>(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(LayoutsActivationsResiduals, BatchNormAct, every_case(), case_name);

TEST(BatchNormActThreads, FloatOnTwoThreadsEqualsOneThreadExactly) {
  torch::manual_seed(12);
  torch::Tensor x = input_of(true, torch::kFloat);
  torch::Tensor r = torch::randn({5, 6, 7, 9});
  torch::Tensor grad = torch::randn({5, 6, 7, 9});
  auto norm = make_norm(6, torch::kFloat);
  auto one = test::copy_of_norm(norm), two = test::copy_of_norm(norm);
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  Result a = fused(x, r, grad, one, NormActivation::kRelu);
  at::set_num_threads(2);
  Result b = fused(x, r, grad, two, NormActivation::kRelu);
  at::set_num_threads(threads);
  // Fixed slices folded in order: the same sums whatever the thread count.
  expect_same(a, b, 0.0);
  expect_same(reference(x, r, grad, norm, NormActivation::kRelu), a, 1e-4);
}

TEST(BatchNormActSplit, TwoWorkersGiveTheWholeBatchInChannelsLast) {
  torch::manual_seed(13);
  torch::Tensor x = input_of(true, torch::kDouble);
  torch::Tensor r = torch::randn({5, 6, 7, 9}, torch::kDouble);
  torch::Tensor grad = torch::randn({5, 6, 7, 9}, torch::kDouble);
  x.slice(0, 0, 2).mul_(3).add_(-2);  // shares of different statistics
  auto norm = make_norm(6, torch::kDouble);
  auto copy = test::copy_of_norm(norm);
  Result want = reference(x, r, grad, norm, NormActivation::kRelu6);
  const std::vector<int64_t> cuts = {0, 2, 5};
  BatchSplit rendezvous(2);
  std::vector<Result> parts(2);
  host::WorkerPool pool(2);
  pool.run([&](int rank) {
    BatchSplitScope scope(rendezvous, rank);
    auto share = [&](const torch::Tensor& t) {
      return t.slice(0, cuts[rank], cuts[rank + 1]).contiguous(t.suggest_memory_format());
    };
    parts[rank] = fused(share(x), share(r), share(grad), copy, NormActivation::kRelu6);
  });
  Result got{torch::cat({parts[0].y, parts[1].y}),
             torch::cat({parts[0].dx, parts[1].dx}),
             torch::cat({parts[0].dr, parts[1].dr}),
             parts[0].dw + parts[1].dw,
             parts[0].db + parts[1].db,
             copy->running_mean.clone(),
             copy->running_var.clone()};
  expect_same(want, got, 1e-10);
  EXPECT_EQ(copy->num_batches_tracked.item<int64_t>(), 1);  // updated once, not per worker
}

// How many times `f` ran torch's batch norm (the separate ops' path).
template <typename F>
int torch_norm_runs(const F& f) {
  return test::op_calls("aten::batch_norm", f);
}

// The separate ops in evaluation mode: torch's norm from the running statistics, +, activation.
torch::Tensor evaluation_reference(torch::nn::BatchNorm2d norm, const torch::Tensor& x,
                                   const torch::Tensor& r, NormActivation activation) {
  torch::NoGradGuard no_grad;
  torch::Tensor z = norm->forward(x.contiguous());
  return activate(r.defined() ? z + r : z, activation);
}

class BatchNormActEvaluation : public ::testing::TestWithParam<Case> {};

TEST_P(BatchNormActEvaluation, IsOnePassEqualToTheSeparateOpsInDouble) {
  const auto [channels_last, activation, with_residual] = GetParam();
  torch::manual_seed(15);
  torch::Tensor x = input_of(channels_last, torch::kDouble);
  torch::Tensor r = with_residual ? torch::randn({5, 6, 7, 9}, torch::kDouble) : torch::Tensor();
  auto norm = make_norm(6, torch::kDouble);
  norm->eval();
  const torch::Tensor want = evaluation_reference(norm, x, r, activation);
  torch::Tensor got;
  {
    torch::NoGradGuard no_grad;  // as an evaluator runs
    EXPECT_EQ(torch_norm_runs([&] { got = batch_norm_act(*norm, x, activation, r); }), 0);
  }
  EXPECT_TRUE(got.is_contiguous(x.suggest_memory_format())) << "the output keeps the layout";
  EXPECT_LE((got - want).abs().max().item<double>(), 1e-12);
  EXPECT_EQ(norm->num_batches_tracked.item<int64_t>(), 0) << "evaluation updates no statistics";
  // Grad mode on, nothing requiring a gradient (the norm frozen, as under a RequiresGradScope).
  for (auto& p : norm->parameters()) p.requires_grad_(false);
  torch::Tensor frozen;
  EXPECT_EQ(torch_norm_runs([&] { frozen = batch_norm_act(*norm, x, activation, r); }), 0);
  EXPECT_FALSE(frozen.requires_grad());
  EXPECT_TRUE(torch::equal(frozen, got));
}

INSTANTIATE_TEST_SUITE_P(LayoutsActivationsResiduals, BatchNormActEvaluation, every_case(),
                         case_name);

// The norm frozen (as OSG's candidate phase and a scoring pass hold it), the input and the
// residual asking for gradients: still one pass and no torch norm, with one node whose backward
// gives torch's input and residual gradients.
TEST_P(BatchNormActEvaluation, InputAndResidualGradientsWithTheNormFrozenInDouble) {
  const auto [channels_last, activation, with_residual] = GetParam();
  torch::manual_seed(18);
  const torch::Tensor x = input_of(channels_last, torch::kDouble);
  const torch::Tensor r =
      with_residual ? torch::randn({5, 6, 7, 9}, torch::kDouble) : torch::Tensor();
  const torch::Tensor grad = torch::randn({5, 6, 7, 9}, torch::kDouble);
  auto norm = make_norm(6, torch::kDouble);
  norm->eval();
  for (auto& p : norm->parameters()) p.requires_grad_(false);
  auto gradients = [&](bool gear) {
    torch::Tensor input = x.clone(x.suggest_memory_format()).requires_grad_();
    torch::Tensor residual = r.defined() ? r.clone().requires_grad_() : torch::Tensor();
    torch::Tensor y;
    int runs = torch_norm_runs([&] {
      if (gear) {
        y = batch_norm_act(*norm, input, activation, residual);
      } else {
        torch::Tensor z = norm->forward(input);
        y = activate(residual.defined() ? z + residual : z, activation);
      }
    });
    if (gear) {
      EXPECT_EQ(runs, 0);
      EXPECT_TRUE(y.is_contiguous(x.suggest_memory_format())) << "the output keeps the layout";
    }
    std::vector<torch::Tensor> wrt = {input};
    if (residual.defined()) wrt.push_back(residual);
    std::vector<torch::Tensor> out = torch::autograd::grad({y}, wrt, {grad});
    out.insert(out.begin(), y.detach());
    return out;
  };
  const std::vector<torch::Tensor> want = gradients(false), got = gradients(true);
  ASSERT_EQ(got.size(), want.size());
  const char* const kWhat[] = {"output", "input gradient", "residual gradient"};
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_LE((got[i] - want[i]).abs().max().item<double>(), 1e-12) << kWhat[i];
  EXPECT_GT(want[1].abs().sum().item<double>(), 0.0);
}

// Only the residual asks for a gradient (a stream whose block input is frozen data).
TEST(BatchNormActEvaluationGradient, OnlyTheResidualsGradient) {
  torch::manual_seed(19);
  const torch::Tensor x = input_of(false, torch::kDouble);
  const torch::Tensor grad = torch::randn({5, 6, 7, 9}, torch::kDouble);
  auto norm = make_norm(6, torch::kDouble);
  norm->eval();
  for (auto& p : norm->parameters()) p.requires_grad_(false);
  torch::Tensor residual = torch::randn({5, 6, 7, 9}, torch::kDouble).requires_grad_();
  torch::Tensor y;
  EXPECT_EQ(torch_norm_runs([&] { y = batch_norm_act(*norm, x, NormActivation::kRelu, residual); }),
            0);
  const torch::Tensor got = torch::autograd::grad({y}, {residual}, {grad})[0];
  torch::Tensor want;
  {
    torch::NoGradGuard no_grad;
    want = grad * (norm->forward(x) + residual > 0).to(torch::kDouble);
  }
  EXPECT_LE((got - want).abs().max().item<double>(), 1e-12);
}

TEST(BatchNormActEvaluationFloat, AgreesWithTheSeparateOpsAndWithoutAffineParameters) {
  torch::manual_seed(16);
  torch::Tensor x = input_of(true, torch::kFloat);
  torch::Tensor r = torch::randn({5, 6, 7, 9});
  auto norm = make_norm(6, torch::kFloat);
  norm->eval();
  torch::NoGradGuard no_grad;
  EXPECT_LE((batch_norm_act(*norm, x, NormActivation::kRelu6, r) -
             evaluation_reference(norm, x, r, NormActivation::kRelu6))
                .abs()
                .max()
                .item<double>(),
            1e-5);
  torch::nn::BatchNorm2d plain(torch::nn::BatchNorm2dOptions(6).affine(false));
  plain->running_mean.copy_(norm->running_mean);
  plain->running_var.copy_(norm->running_var);
  plain->eval();
  EXPECT_LE((batch_norm_act(*plain, x, NormActivation::kIdentity) -
             evaluation_reference(plain, x, {}, NormActivation::kIdentity))
                .abs()
                .max()
                .item<double>(),
            1e-5);
}

TEST(BatchNormActFallback, EvaluationWithAGradientToComputeRunsTheSeparateOps) {
  torch::manual_seed(17);
  torch::Tensor x = input_of(false, torch::kDouble);
  torch::Tensor r = torch::randn({5, 6, 7, 9}, torch::kDouble);
  torch::Tensor grad = torch::randn({5, 6, 7, 9}, torch::kDouble);
  auto norm = make_norm(6, torch::kDouble);
  norm->eval();
  auto copy = test::copy_of_norm(norm);
  copy->eval();
  Result want = reference(x, r, grad, norm, NormActivation::kRelu6);
  Result got;
  EXPECT_GT(torch_norm_runs([&] { got = fused(x, r, grad, copy, NormActivation::kRelu6); }), 0);
  expect_same(want, got, 1e-12);
  // Only the norm's weight asks for a gradient: still the separate ops, still its gradient.
  for (auto& p : copy->parameters()) p.requires_grad_(p.is_same(copy->weight));
  torch::Tensor y;
  EXPECT_GT(torch_norm_runs([&] { y = batch_norm_act(*copy, x, NormActivation::kRelu); }), 0);
  EXPECT_TRUE(y.requires_grad());
}

TEST(BatchNormActFallback, UntrackedStatisticsAndFusionOffAreTheSeparateOps) {
  torch::manual_seed(14);
  torch::Tensor x = input_of(false, torch::kFloat);
  torch::Tensor r = torch::randn({5, 6, 7, 9});
  // Without running statistics torch normalises with the batch's own, also in evaluation mode.
  torch::nn::BatchNorm2d untracked(torch::nn::BatchNorm2dOptions(6).track_running_stats(false));
  untracked->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(batch_norm_act(*untracked, x, NormActivation::kRelu6, r),
                           torch::clamp(untracked->forward(x) + r, 0.0, 6.0)));
  auto norm = make_norm(6, torch::kFloat);
  norm->eval();
  set_norm_fusion(false);
  EXPECT_TRUE(torch::equal(batch_norm_act(*norm, x, NormActivation::kRelu6, r),
                           torch::clamp(norm->forward(x) + r, 0.0, 6.0)));
  norm->train();
  auto copy = test::copy_of_norm(norm);
  EXPECT_FALSE(norm_fusion());
  torch::Tensor separate = batch_norm_act(*norm, x, NormActivation::kRelu, r);
  set_norm_fusion(true);
  EXPECT_TRUE(torch::equal(separate, torch::relu(copy->forward(x) + r)));
}

TEST(BatchNormActFallback, AResidualOfAnotherShapeIsRefused) {
  auto norm = make_norm(6, torch::kFloat);
  EXPECT_THROW(batch_norm_act(*norm, torch::randn({5, 6, 7, 9}), NormActivation::kRelu,
                              torch::randn({5, 6, 7, 8})),
               std::invalid_argument);
}

}  // namespace
}  // namespace gear::fused_norm_test
