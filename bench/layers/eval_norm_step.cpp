// Evaluation forward passes (eval mode, no autograd) of a GEAR architecture with
// gear::batch_norm_act's one-pass evaluation path on and off (set_norm_fusion), alternating in one
// process so both see the same machine; also how far the two paths' logits are apart and how often
// their predicted classes differ. Random Fashion-MNIST-shaped batches; gearhost's allocator
// settings. Prints one JSON line. With `frozen_norms`, each pass is a forward and a backward of
// the loss in eval mode with the norms and biases frozen and the weights asking for gradients,
// as OSG's candidate phase runs its net: the one-pass norm with its own backward against torch's
// norm and activation.
//
// Usage: gear_bench_eval_norm PLUGIN_DIR ARCHITECTURE WIDTH BATCH THREADS [ROUNDS]
//            [channels_last|contiguous] [frozen_norms]

#include <gear/batch_norm.h>
#include <gear/requires_grad_scope.h>
#include <torch/torch.h>

#include <cstdio>
#include <optional>
#include <string>

#include "best_ms.h"
#include "gear/host/memory_format.h"
#include "paired.h"
#include "plugin_net.h"

namespace {

// Milliseconds per evaluation pass, best of `passes`; with `labels`, forward and backward.
double pass_ms(gear::GrowableNet& net, const torch::Tensor& x, int passes,
               const torch::Tensor& labels = {}) {
  return gear::bench::best_ms(passes, [&] {
    if (!labels.defined()) {
      net.forward(x);
      return;
    }
    torch::nn::functional::cross_entropy(net.forward(x), labels).backward();
    for (auto& p : net.parameters()) p.mutable_grad() = torch::Tensor();
  });
}

}  // namespace

int main(int argc, char** argv) {
  const auto args =
      gear::bench::parse_net_bench_args(argc, argv, " [channels_last|contiguous] [frozen_norms]");
  if (!args) return 2;
  const auto& [plugin_dir, name, width, batch, threads, rounds] = *args;
  const bool channels_last = argc > 7 && std::string(argv[7]) == "channels_last";
  const bool frozen_norms = argc > 8 && std::string(argv[8]) == "frozen_norms";
  auto built = gear::bench::fashion_mnist_net(plugin_dir, name, width, threads);
  if (!built) return 2;
  gear::GrowableNet& net = *built->net;
  torch::Tensor x = torch::rand({batch, 1, 28, 28});
  // Before the training steps, so the weights' gradients are made in the layout of the weights
  // (LibTorch warns when it accumulates into a gradient of another layout).
  if (channels_last) {
    gear::host::apply_memory_format(net, true);
    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  {
    // A few training steps, so the running statistics are not the initial 0 and 1.
    torch::optim::SGD sgd(net.parameters(), torch::optim::SGDOptions(0.05));
    const torch::Tensor y = torch::randint(0, 10, {batch});
    net.train();
    for (int s = 0; s < 3; ++s) {
      sgd.zero_grad();
      torch::nn::functional::cross_entropy(net.forward(x), y).backward();
      sgd.step();
    }
  }
  net.eval();
  const torch::Tensor labels = frozen_norms ? torch::randint(0, 10, {batch}) : torch::Tensor();
  // Weights (2 or more dimensions) keep their gradients; norms and biases are frozen.
  std::optional<gear::RequiresGradScope> frozen;
  if (frozen_norms) frozen.emplace(net, [](const torch::Tensor& p) { return p.dim() >= 2; });
  std::optional<torch::NoGradGuard> no_grad;
  if (!frozen_norms) no_grad.emplace();
  gear::set_norm_fusion(false);
  const torch::Tensor separate = net.forward(x);
  gear::set_norm_fusion(true);
  const torch::Tensor fused = net.forward(x);
  const double max_logit_difference = (fused - separate).abs().max().item<double>();
  const int64_t predictions_differing =
      (fused.argmax(1) != separate.argmax(1)).sum().item<int64_t>();
  pass_ms(net, x, 3, labels);  // warm-up: first-touch pages, oneDNN's primitive cache
  const gear::bench::Paired p = gear::bench::time_paired(
      rounds,
      [&] {
        gear::set_norm_fusion(true);
        return pass_ms(net, x, 5, labels);
      },
      [&] {
        gear::set_norm_fusion(false);
        return pass_ms(net, x, 5, labels);
      });
  gear::set_norm_fusion(true);
  std::printf(
      "{\"architecture\": \"%s\", \"width\": %g, \"batch\": %ld, \"threads\": %d, \"layout\": "
      "\"%s\", \"pass\": \"%s\", \"rounds\": %d, \"pass_ms_one_pass_norm\": %.2f, "
      "\"pass_ms_separate_ops\": %.2f, "
      "\"speedup_paired_median\": %.3f, \"speedup_paired_min\": %.3f, \"speedup_paired_max\": "
      "%.3f, \"max_logit_difference\": %.3g, \"predictions_differing\": %ld}\n",
      name.c_str(), width, static_cast<long>(batch), threads,
      channels_last ? "channels_last" : "contiguous",
      frozen_norms ? "forward and backward, norms frozen" : "forward", rounds, p.median(p.ours_ms),
      p.median(p.theirs_ms), p.speedup_median(), p.speedup_min(), p.speedup_max(),
      max_logit_difference, static_cast<long>(predictions_differing));
  return 0;
}
