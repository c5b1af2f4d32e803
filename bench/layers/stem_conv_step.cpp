// Whole training steps (forward, cross-entropy, backward) of a GEAR architecture with
// gear::conv2d's one-channel kernel on and off, alternating in one process so both see the same
// machine: the end-to-end share of bench/layers/stem_conv_throughput.cpp's gain. Random
// Fashion-MNIST-shaped batches; gearhost's allocator settings. Prints one JSON line.
//
// Usage: gear_bench_stem_conv_step PLUGIN_DIR ARCHITECTURE WIDTH BATCH THREADS [ROUNDS]
//   BATCH 64 at 1 thread is one share of gearhost's batch split of 128 over 2 threads.

#include <gear/conv.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "best_ms.h"
#include "paired.h"
#include "plugin_net.h"

namespace {

// Milliseconds per training step, best of `steps` steps.
double step_ms(gear::GrowableNet& net, const torch::Tensor& x, const torch::Tensor& y, int steps) {
  return gear::bench::best_ms(steps, [&] {
    net.zero_grad();
    torch::nn::functional::cross_entropy(net.forward(x), y).backward();
  });
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = gear::bench::parse_net_bench_args(argc, argv);
  if (!args) return 2;
  const auto& [plugin_dir, name, width, batch, threads, rounds] = *args;
  auto built = gear::bench::fashion_mnist_net(plugin_dir, name, width, threads);
  if (!built) return 2;
  gear::GrowableNet& net = *built->net;
  net.train();
  const torch::Tensor x = torch::rand({batch, 1, 28, 28});
  const torch::Tensor y = torch::randint(0, 10, {batch});
  step_ms(net, x, y, 3);  // warm-up: first-touch pages, oneDNN's primitive cache
  const gear::bench::Paired p = gear::bench::time_paired(
      rounds,
      [&] {
        gear::set_conv_kernels(true);
        return step_ms(net, x, y, 5);
      },
      [&] {
        gear::set_conv_kernels(false);
        return step_ms(net, x, y, 5);
      });
  gear::set_conv_kernels(true);
  std::printf(
      "{\"architecture\": \"%s\", \"width\": %g, \"batch\": %ld, \"threads\": %d, \"rounds\": %d, "
      "\"step_ms_own_kernel\": %.2f, \"step_ms_torch_conv\": %.2f, \"speedup_paired_median\": "
      "%.3f, \"speedup_paired_min\": %.3f, \"speedup_paired_max\": %.3f}\n",
      name.c_str(), width, static_cast<long>(batch), threads, rounds, p.median(p.ours_ms),
      p.median(p.theirs_ms), p.speedup_median(), p.speedup_min(), p.speedup_max());
  return 0;
}
