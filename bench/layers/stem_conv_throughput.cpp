// gear::conv2d's one-channel kernel against LibTorch's convolution (set_conv_kernels off) on the
// greyscale stems of GEAR's architectures at batch 128 (Fashion-MNIST 28x28): forward + weight
// gradient, as in a training step, interleaved in one process so both see the same machine, at
// 1 and 2 threads, with gearhost's default allocator settings. Prints one JSON object.
//
// Usage: gear_bench_stem_conv [repeats] > bench/results/stem_conv.json

#include <ATen/Parallel.h>
#include <gear/conv.h>
#include <torch/autograd.h>
#include <torch/nn/modules/conv.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "best_ms.h"
#include "gear/host/cpu_allocator.h"
#include "paired.h"

namespace {

struct Stem {
  const char* name;
  int64_t channels;
};

// Milliseconds for one forward + backward (weight gradient) of `conv`, best of `rounds`.
double time_ms(torch::nn::Conv2d& conv, const torch::Tensor& x, bool own, int rounds) {
  gear::set_conv_kernels(own);
  return gear::bench::best_ms(rounds, [&] {
    torch::Tensor y = gear::conv2d(*conv, x);
    y.backward(torch::ones_like(y));
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
  // As gearhost runs by default: freed blocks stay in the heap, so neither side pays page
  // faults for its 0.4 to 35 MB activations on every step.
  gear::host::configure_cpu_allocator("retain");
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({128, 1, 28, 28});
  // Stem widths at x0.25 (VGG-11 and ResNet-18: 16; MobileNet-V2: 8) and OSG's candidate stem
  // at width 0.125 (2 x 8 + 70 fresh channels).
  const std::vector<Stem> stems = {
      {"vgg11_resnet18_x0.25", 16}, {"mobilenet_v2_x0.25", 8}, {"osg_candidates_x0.125_k70", 86}};
  std::printf(
      "{\"benchmark\": \"3x3 stem convolution of a one-channel 28x28 batch of 128: forward + "
      "weight gradient; ms, mean of %d repeats (each the best of 10)\"",
      repeats);
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    std::printf(",\n \"threads_%d\": {", threads);
    for (size_t s = 0; s < stems.size(); ++s) {
      torch::nn::Conv2d conv(
          torch::nn::Conv2dOptions(1, stems[s].channels, 3).padding(1).bias(false));
      const gear::bench::Paired p = gear::bench::time_paired(
          repeats, [&] { return time_ms(conv, x, true, 10); },
          [&] { return time_ms(conv, x, false, 10); });
      std::printf(
          "%s\n  \"%s\": {\"gear_ms\": %.3f, \"torch_ms\": %.3f, \"speedup_median\": %.2f, "
          "\"speedup_min\": %.2f, \"speedup_max\": %.2f}",
          s ? "," : "", stems[s].name, p.mean(p.ours_ms), p.mean(p.theirs_ms), p.speedup_median(),
          p.speedup_min(), p.speedup_max());
    }
    std::printf("}");
  }
  std::printf("}\n");
  gear::set_conv_kernels(true);
  return 0;
}
