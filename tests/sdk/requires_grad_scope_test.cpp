// gear::RequiresGradScope: the flags inside the scope (all off, or as the predicate says, a
// parameter the user froze included), each parameter's own flag back afterwards, also when the
// scope ends by an exception, and a backward pass under it that computes no weight gradient.

#include <gear/requires_grad_scope.h>
#include <gtest/gtest.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include <stdexcept>
#include <vector>

namespace gear {
namespace {

// Two layers, four parameters; the second layer's bias is frozen by the user.
struct Net : torch::nn::Module {
  Net()
      : first(register_module("first", torch::nn::Linear(3, 4))),
        second(register_module("second", torch::nn::Linear(4, 2))) {
    second->bias.requires_grad_(false);
  }
  torch::nn::Linear first, second;
};

std::vector<bool> flags(torch::nn::Module& module) {
  std::vector<bool> out;
  for (const auto& p : module.parameters()) out.push_back(p.requires_grad());
  return out;
}

const std::vector<bool> kAsBuilt = {true, true, true, false};  // first w, b; second w, b

TEST(RequiresGradScope, FreezesEveryParameterAndGivesEachItsOwnFlagBack) {
  Net net;
  ASSERT_EQ(flags(net), kAsBuilt);
  {
    const RequiresGradScope scope(net);
    EXPECT_EQ(flags(net), std::vector<bool>(4, false));
  }
  EXPECT_EQ(flags(net), kAsBuilt);
}

TEST(RequiresGradScope, TheParametersThePredicateNamesRequireAGradientFrozenOrNot) {
  Net net;
  {
    const RequiresGradScope scope(net, [&net](const torch::Tensor& p) {
      return p.is_same(net.first->bias) || p.is_same(net.second->bias);
    });
    EXPECT_EQ(flags(net), (std::vector<bool>{false, true, false, true}));
  }
  EXPECT_EQ(flags(net), kAsBuilt);
}

TEST(RequiresGradScope, GivesTheFlagsBackWhenThePassThrows) {
  Net net;
  try {
    const RequiresGradScope scope(net);
    throw std::runtime_error("a failing batch");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(flags(net), kAsBuilt);
}

TEST(RequiresGradScope, ABackwardPassUnderItReachesTheInputsButNoWeight) {
  Net net;
  const torch::Tensor x = torch::randn({5, 3}, torch::requires_grad());
  {
    const RequiresGradScope scope(net);
    net.second->forward(net.first->forward(x)).sum().backward();
  }
  EXPECT_TRUE(x.grad().defined());
  for (const auto& p : net.parameters()) EXPECT_FALSE(p.grad().defined());
  // Outside the scope the weights learn again.
  net.second->forward(net.first->forward(x)).sum().backward();
  EXPECT_TRUE(net.first->weight.grad().defined());
  EXPECT_FALSE(net.second->bias.grad().defined());  // the user's freeze held
}

}  // namespace
}  // namespace gear
