// max_pool_2x2 against torch::max_pool2d on VGG-11 x0.25's pooled activations at batch 128
// (Fashion-MNIST 28x28): forward + backward, interleaved in one process so both see the same
// machine, at 1 and 2 threads. Prints one JSON object.
//
// Usage: gear_bench_max_pool [repeats] > bench/results/max_pool.json

#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/nn/functional/pooling.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "best_ms.h"
#include "max_pool.h"
#include "paired.h"

namespace {

using Pool = torch::Tensor (*)(const torch::Tensor&);

torch::Tensor torch_pool(const torch::Tensor& x) { return torch::max_pool2d(x, {2, 2}, {2, 2}); }
torch::Tensor gear_pool(const torch::Tensor& x) { return gear::plugins::architectures::max_pool_2x2(x); }

// Milliseconds for one forward + backward of `pool` over every input, best of `rounds`.
double time_ms(Pool pool, const std::vector<torch::Tensor>& inputs, int rounds) {
  return gear::bench::best_ms(rounds, [&] {
    for (const auto& x : inputs) {
      torch::Tensor y = pool(x);
      y.backward(torch::ones_like(y));
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
  torch::manual_seed(0);
  // The four pooled activations of VGG-11 x0.25 on 28x28 inputs, post-ReLU (many zero ties).
  std::vector<torch::Tensor> inputs;
  for (auto shape : std::vector<std::vector<int64_t>>{
           {128, 16, 28, 28}, {128, 32, 14, 14}, {128, 64, 7, 7}, {128, 128, 3, 3}})
    inputs.push_back(torch::randn(shape).relu().requires_grad_(true));
  std::printf(
      "{\"benchmark\": \"2x2 max-pool forward + backward over VGG-11 x0.25's four pooled "
      "activations, batch 128, 28x28 input; ms per training step, mean of %d repeats "
      "(each the best of 10)\"",
      repeats);
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    const gear::bench::Paired p = gear::bench::time_paired(
        repeats, [&] { return time_ms(gear_pool, inputs, 10); },
        [&] { return time_ms(torch_pool, inputs, 10); });
    std::printf(
        ",\n \"threads_%d\": {\"gear_max_pool_2x2_ms\": %.3f, \"torch_max_pool2d_ms\": %.3f, "
        "\"speedup_median\": %.2f}",
        threads, p.mean(p.ours_ms), p.mean(p.theirs_ms), p.speedup_median());
  }
  std::printf("}\n");
  return 0;
}
