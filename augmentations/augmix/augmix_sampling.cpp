#include "augmix_sampling.h"

#include <torch/torch.h>

namespace gear::plugins::augmentations {
namespace {

// Gamma(alpha) draws: normalised, they give the Dirichlet and Beta draws.
torch::Tensor gamma(double alpha, at::IntArrayRef shape, torch::Device device,
                    torch::Generator& generator) {
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  return at::_standard_gamma(torch::full(shape, alpha, options), generator);
}

}  // namespace

ChainDraws draw_chains(const AugMixOptions& options, int64_t chains, torch::Device device,
                       torch::Generator& generator) {
  const auto longs = torch::TensorOptions().dtype(torch::kLong).device(device);
  const auto doubles = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  const bool fixed = options.depth > 0;
  const int64_t steps = fixed ? options.depth : 3;
  ChainDraws d;
  d.depth = fixed ? torch::full({chains}, options.depth, longs)
                  : torch::randint(1, 4, {chains}, generator, longs);
  torch::Tensor op_set = torch::tensor(options.ops, longs);
  const auto op_count = static_cast<int64_t>(options.ops.size());
  d.ops = op_set.index_select(0, torch::randint(0, op_count, {steps * chains}, generator, longs))
              .view({steps, chains});
  d.levels = torch::rand({steps, chains}, generator, doubles) * (options.severity - 0.1) + 0.1;
  d.negate = torch::rand({steps, chains}, generator, doubles) > 0.5;
  return d;
}

MixDraws draw_mixing(const AugMixOptions& options, int64_t views, int64_t n, torch::Device device,
                     torch::Generator& generator) {
  MixDraws d;
  if (options.width == 1) {
    d.weights = torch::ones({views, 1, n}, torch::TensorOptions().device(device));
  } else {
    torch::Tensor g = gamma(options.alpha, {views, options.width, n}, device, generator);
    d.weights = g / g.sum(1, true);
  }
  torch::Tensor a = gamma(options.alpha, {views, n}, device, generator);
  torch::Tensor b = gamma(options.alpha, {views, n}, device, generator);
  d.skip = a / (a + b);
  return d;
}

}  // namespace gear::plugins::augmentations
