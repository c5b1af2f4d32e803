// A fake libnvidia-ml: the NVML functions the nvml meter calls, answering from a text file named
// by the environment variable GEAR_FAKE_NVML, re-read at every call so a test can change the
// readings between samples. Lines:
//   init <code>                          nvmlInit_v2's return code (default 0, success)
//   gpu <name> <energy_mJ|-> <power_mW|-> one GPU, in index order; "-": NOT_SUPPORTED
// A missing or unreadable file reads as no line at all. Built with GEAR_FAKE_NVML_NO_ENERGY it
// lacks nvmlDeviceGetTotalEnergyConsumption, as drivers before Volta do.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr int kSuccess = 0;
constexpr int kInvalidArgument = 2;
constexpr int kNotSupported = 3;

struct FakeGpu {
  std::string name;
  std::string energy;
  std::string power;
};

struct FakeState {
  int init = kSuccess;
  std::vector<FakeGpu> gpus;
};

FakeState load() {
  FakeState state;
  const char* file = std::getenv("GEAR_FAKE_NVML");
  if (file == nullptr) return state;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "init") {
      fields >> state.init;
    } else if (key == "gpu") {
      FakeGpu gpu;
      fields >> gpu.name >> gpu.energy >> gpu.power;
      state.gpus.push_back(gpu);
    }
  }
  return state;
}

/// The GPU a handle stands for: handles are index + 1, so that none is null.
const FakeGpu* find(const FakeState& state, void* device) {
  const auto index = reinterpret_cast<std::uintptr_t>(device);
  if (index == 0 || index > state.gpus.size()) return nullptr;
  return &state.gpus[index - 1];
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int nvmlInit_v2() { return load().init; }

__attribute__((visibility("default"))) int nvmlShutdown() { return kSuccess; }

__attribute__((visibility("default"))) const char* nvmlErrorString(int code) {
  return code == kNotSupported ? "Not Supported" : "Fake Error";
}

__attribute__((visibility("default"))) int nvmlDeviceGetCount_v2(unsigned int* count) {
  *count = static_cast<unsigned int>(load().gpus.size());
  return kSuccess;
}

__attribute__((visibility("default"))) int nvmlDeviceGetHandleByIndex_v2(unsigned int index,
                                                                         void** device) {
  if (index >= load().gpus.size()) return kInvalidArgument;
  *device = reinterpret_cast<void*>(static_cast<std::uintptr_t>(index) + 1);
  return kSuccess;
}

__attribute__((visibility("default"))) int nvmlDeviceGetName(void* device, char* name,
                                                             unsigned int length) {
  const FakeState state = load();
  const FakeGpu* gpu = find(state, device);
  if (gpu == nullptr) return kInvalidArgument;
  std::snprintf(name, length, "%s", gpu->name.c_str());
  return kSuccess;
}

// A driver from before Volta has no energy call at all (built so as the "old" variant).
#ifndef GEAR_FAKE_NVML_NO_ENERGY
__attribute__((visibility("default"))) int nvmlDeviceGetTotalEnergyConsumption(
    void* device, unsigned long long* millijoules) {
  const FakeState state = load();
  const FakeGpu* gpu = find(state, device);
  if (gpu == nullptr) return kInvalidArgument;
  if (gpu->energy == "-") return kNotSupported;
  *millijoules = std::strtoull(gpu->energy.c_str(), nullptr, 10);
  return kSuccess;
}
#endif

__attribute__((visibility("default"))) int nvmlDeviceGetPowerUsage(void* device,
                                                                   unsigned int* milliwatts) {
  const FakeState state = load();
  const FakeGpu* gpu = find(state, device);
  if (gpu == nullptr) return kInvalidArgument;
  if (gpu->power == "-") return kNotSupported;
  *milliwatts = static_cast<unsigned int>(std::strtoul(gpu->power.c_str(), nullptr, 10));
  return kSuccess;
}

}  // extern "C"
