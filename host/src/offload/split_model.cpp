// Cutting a net at a channel group's tap, and the bottleneck sent across the cut.
#include "gear/host/offload/split_model.h"

#include <torch/torch.h>

#include <stdexcept>

#include "gear/host/offload/frame_bytes.h"
#include "gear/text_match.h"

namespace gear::host {

void check_cut(GrowableNet& net, const std::string& layer,
               const std::vector<int64_t>& sample_shape) {
  const std::vector<std::string> names = net.group_names();
  if (std::find(names.begin(), names.end(), layer) == names.end())
    throw std::invalid_argument("unknown layer '" + layer + "'" + suggestion_text(layer, names));
  if (!net.group_tapped(layer))
    throw std::invalid_argument("layer '" + layer +
                                "' has no tap in the architecture's forward pass, so it cannot "
                                "be cut there");
  net.eval();
  torch::NoGradGuard no_grad;
  std::vector<int64_t> shape = {2};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  const auto device = net.parameters().front().device();
  torch::Generator generator = torch::make_generator<torch::CPUGeneratorImpl>(1234);
  const torch::Tensor x1 = torch::randn(shape, generator).to(device);
  const torch::Tensor x2 = torch::randn(shape, generator).to(device);
  int64_t passes = 0;
  torch::Tensor a1;
  {
    GroupObservation count = net.observe(layer, [&](const torch::Tensor& a) {
      ++passes;
      a1 = a.clone();
    });
    net.forward(x1);
  }
  if (passes != 1)
    throw std::invalid_argument("layer '" + layer + "' is passed " + std::to_string(passes) +
                                " times in one forward pass (a residual stream): cut at a layer "
                                "the pass goes through once");
  const torch::Tensor expected = net.forward(x1);
  torch::Tensor got;
  {
    GroupObservation substitute = net.transform(layer, [&](const torch::Tensor&) { return a1; });
    got = net.forward(x2);
  }
  if (!torch::allclose(got, expected, 1e-4, 1e-5))
    throw std::invalid_argument("layer '" + layer +
                                "' is not a cut: the output depends on more than its activation "
                                "(a connection bypasses it), so the tail could not run from it");
}

torch::Tensor split_head(GrowableNet& net, const std::string& layer, const torch::Tensor& input) {
  torch::NoGradGuard no_grad;
  torch::Tensor activation;
  GroupObservation capture =
      net.observe(layer, [&](const torch::Tensor& a) { activation = a.clone(); });
  net.forward(input);
  return activation;
}

torch::Tensor split_tail(GrowableNet& net, const std::string& layer, const torch::Tensor& received,
                         const std::vector<int64_t>& input_shape) {
  torch::NoGradGuard no_grad;
  GroupObservation substitute =
      net.transform(layer, [&](const torch::Tensor&) { return received; });
  return net.forward(torch::zeros(input_shape, received.options()));
}

BottleneckImpl::BottleneckImpl(int64_t layer_channels, int64_t channels, int64_t bits)
    : bits_(bits) {
  if (channels < 1 || bits < 1 || bits > 8)
    throw std::invalid_argument("a bottleneck needs at least 1 channel and 1 to 8 bits");
  encoder_ = register_module(
      "encoder", torch::nn::Conv2d(torch::nn::Conv2dOptions(layer_channels, channels, 1)));
  decoder_ = register_module(
      "decoder", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, layer_channels, 1)));
}

torch::Tensor BottleneckImpl::code(const torch::Tensor& activation) {
  return torch::sigmoid(encoder_->forward(activation));
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& activation) {
  const double levels = static_cast<double>((1 << bits_) - 1);
  last_code_ = code(activation);
  const torch::Tensor quantized = torch::round(last_code_ * levels) / levels;
  // Straight-through: the forward pass sees the quantized code, the gradient the squashed one.
  return decoder_->forward(last_code_ + (quantized - last_code_).detach());
}

torch::Tensor BottleneckImpl::symbols(const torch::Tensor& activation) {
  torch::NoGradGuard no_grad;
  const double levels = static_cast<double>((1 << bits_) - 1);
  return torch::round(code(activation) * levels).to(torch::kUInt8);
}

int64_t symbol_bytes(const torch::Tensor& symbols, int64_t bits) {
  const torch::Tensor flat = symbols.cpu().contiguous().view(-1);
  const uint8_t* s = flat.data_ptr<uint8_t>();
  const int64_t n = flat.numel();
  torch::Tensor packed = torch::zeros({(n * bits + 7) / 8}, torch::kUInt8);
  uint8_t* p = packed.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t b = 0; b < bits; ++b)
      if ((s[i] >> b) & 1) {
        const int64_t bit = i * bits + b;
        p[bit / 8] = static_cast<uint8_t>(p[bit / 8] | (1u << (bit % 8)));
      }
  return std::min<int64_t>(packed.numel() + 4, deflated_size(packed));
}

}  // namespace gear::host
