#include "gear/host/env_info.h"

#include <torch/cuda.h>
#include <torch/version.h>
#include <unistd.h>

#include <fstream>

#include "gear/export.h"
#include "gear/host/plugin_loader.h"

#ifndef GEAR_VERSION
#define GEAR_VERSION "0.0.0"
#endif

namespace gear::host {

const char* gear_version() { return GEAR_VERSION; }

namespace {
std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}
}  // namespace

nlohmann::json environment(const Registry& registry, const torch::Device& device, int threads) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  nlohmann::json plugins = nlohmann::json::array();
  for (const auto& p : registry.plugins()) {
    plugins.push_back({{"file", p.path},
                       {"name", p.name},
                       {"version", p.version},
                       {"toolchain", p.toolchain},
                       {"loaded", p.loaded},
                       {"refusal", p.refusal},
                       {"components", p.components}});
  }
  return {{"gear_version", GEAR_VERSION},
          {"commit", git_commit()},
          {"sdk_version", std::to_string(GEAR_SDK_VERSION_MAJOR) + "." +
                              std::to_string(GEAR_SDK_VERSION_MINOR) + "." +
                              std::to_string(GEAR_SDK_VERSION_PATCH)},
          {"toolchain", host_toolchain()},
          {"libtorch", TORCH_VERSION},
          {"device", device.str()},
          {"cuda_available", torch::cuda::is_available()},
          {"threads", threads},
          {"cpu", cpu_model()},
          {"cores", static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))},
          {"host", host},
          {"plugins", plugins}};
}

}  // namespace gear::host
