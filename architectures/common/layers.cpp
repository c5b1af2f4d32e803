#include "layers.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/linear.h>

namespace gear::plugins::architectures {

torch::nn::Conv2d conv_no_bias(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                               int64_t groups) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                               .stride(stride)
                               .padding(kernel / 2)
                               .groups(groups)
                               .bias(false));
}

void initialise_conv_net(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& module : net.modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* linear = module->as<torch::nn::Linear>()) {
      torch::nn::init::normal_(linear->weight, 0.0, 0.01);
      if (linear->bias.defined()) torch::nn::init::zeros_(linear->bias);
    }
  }
}

}  // namespace gear::plugins::architectures
