#include "gear/host/device.h"

#include <ATen/Context.h>
#include <torch/cuda.h>

namespace gear::host {

torch::Device resolve_device(const std::string& spec, const SourcePosition& where) {
  if (spec == "auto") return torch::cuda::is_available() ? torch::Device("cuda") : torch::kCPU;
  if (spec == "cpu") return torch::kCPU;
  if (spec.rfind("cuda", 0) == 0) {
    torch::Device device = torch::kCPU;
    try {
      device = torch::Device(spec);
    } catch (const std::exception&) {
      throw ConfigError(where, "run.device", "cannot parse device '" + spec + "'");
    }
    if (!torch::cuda::is_available())
      throw ConfigError(where, "run.device",
                        "device '" + spec + "' requested but CUDA is not available in this "
                        "build or machine; use \"auto\" or \"cpu\"");
    int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    if (device.has_index() && device.index() >= count)
      throw ConfigError(where, "run.device",
                        "device '" + spec + "' requested but only " + std::to_string(count) +
                            " CUDA device(s) exist");
    return device;
  }
  throw ConfigError(where, "run.device",
                    "unknown device '" + spec + "'; use \"auto\", \"cpu\", \"cuda\" or \"cuda:N\"");
}

torch::Generator make_generator(const torch::Device& device, uint64_t seed) {
  torch::Generator generator = at::globalContext().defaultGenerator(device).clone();
  generator.set_current_seed(seed);
  return generator;
}

}  // namespace gear::host
