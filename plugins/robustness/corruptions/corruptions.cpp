#include "corruptions.h"

#include <torch/torch.h>

#include <stdexcept>
#include <utility>

#include "corruption_ops.h"

namespace gear::plugins::corruptions {
namespace {

using Function = torch::Tensor (*)(const torch::Tensor&, int, torch::Generator&);

const std::vector<std::pair<std::string, Function>>& table() {
  static const std::vector<std::pair<std::string, Function>> kTable = {
      {"gaussian_noise", &gaussian_noise},
      {"shot_noise", &shot_noise},
      {"impulse_noise", &impulse_noise},
      {"defocus_blur", &defocus_blur},
      {"glass_blur", &glass_blur},
      {"motion_blur", &motion_blur},
      {"zoom_blur", &zoom_blur},
      {"snow", &snow},
      {"frost", &frost},
      {"fog", &fog},
      {"brightness", &brightness},
      {"contrast", &contrast},
      {"elastic_transform", &elastic_transform},
      {"pixelate", &pixelate},
      {"jpeg_compression", &jpeg_compression}};
  return kTable;
}

}  // namespace

const std::vector<std::string>& names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> out;
    for (const auto& entry : table()) out.push_back(entry.first);
    return out;
  }();
  return kNames;
}

torch::Tensor corrupt(const std::string& name, const torch::Tensor& images, int severity,
                      torch::Generator& generator) {
  Function fn = nullptr;
  for (const auto& entry : table())
    if (entry.first == name) fn = entry.second;
  if (!fn) {
    std::string list;
    for (const auto& n : names()) list += (list.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown corruption '" + name + "'; the corruptions are: " + list);
  }
  if (severity < 1 || severity > 5)
    throw std::invalid_argument(name + ": severity must be 1..5, got " + std::to_string(severity));
  if (images.dim() != 4 || images.scalar_type() != torch::kUInt8 ||
      (images.size(1) != 1 && images.size(1) != 3))
    throw std::invalid_argument(name + ": expected uint8 images [N, 1 or 3, H, W], got " +
                                c10::str(images.sizes()) + " " +
                                std::string(c10::toString(images.scalar_type())));
  if (images.size(2) < 8 || images.size(3) < 8)
    throw std::invalid_argument(name + ": images must be at least 8x8, got " +
                                c10::str(images.sizes()));
  if (images.size(0) == 0) return images.clone();
  // One seed from the caller's generator (any device) drives a CPU generator for the work.
  const auto seed =
      torch::randint(0, int64_t{1} << 62, {1}, generator,
                     torch::TensorOptions().dtype(torch::kLong).device(images.device()))
          .item<int64_t>();
  torch::Generator cpu = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
  torch::NoGradGuard no_grad;
  torch::Tensor x = images.to(torch::kCPU).to(torch::kFloat32).div(255.0);
  torch::Tensor out = fn(x, severity, cpu);
  // np.uint8 truncates; the values are already clipped to [0, 255].
  return out.clamp(0, 255).floor().to(torch::kUInt8).to(images.device());
}

}  // namespace gear::plugins::corruptions
