#include "gear/host/memory_format.h"

#include <torch/nn/modules/conv.h>
#include <torch/version.h>

namespace gear::host {

bool use_channels_last(const std::string& mode, const torch::Device&) {
  // "auto" is contiguous: on the CPU no in-tree architecture trains measurably faster in
  // channels-last (MobileNet-V2's depthwise convolutions train slower), CUDA is unmeasured, and
  // LibTorch 1.13's CPU backward of a strided 1x1 convolution corrupts the heap in channels-last
  // (see channels_last_hazard).
  return mode == "channels_last";
}

std::string channels_last_hazard(torch::nn::Module& net) {
#if TORCH_VERSION_MAJOR < 2
  for (const auto& item : net.named_modules()) {
    const auto* conv = item.value()->as<torch::nn::Conv2d>();
    if (!conv) continue;
    const auto& o = conv->options;
    const bool one_by_one = (*o.kernel_size())[0] == 1 && (*o.kernel_size())[1] == 1;
    const bool strided = (*o.stride())[0] > 1 || (*o.stride())[1] > 1;
    if (one_by_one && strided)
      return "'" + item.key() + "' is a strided 1x1 convolution, whose backward pass LibTorch " +
             TORCH_VERSION + " computes wrongly in channels-last (heap corruption); use " +
             "memory_format = \"contiguous\" for this architecture";
  }
#else
  (void)net;
#endif
  return {};
}

void apply_memory_format(torch::nn::Module& net, bool channels_last) {
  const auto format =
      channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  torch::NoGradGuard no_grad;
  auto convert = [&](torch::Tensor& t) {
    if (t.defined() && t.dim() == 4 && !t.is_contiguous(format)) t.set_data(t.contiguous(format));
  };
  for (auto& p : net.parameters()) convert(p);
  for (auto& b : net.buffers()) convert(b);
}

}  // namespace gear::host
