#include "gear/host/stage_memory.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <string>

#if GEAR_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace gear::host {

namespace {

// The highest resident high-water mark seen before a reset lowered the kernel's.
std::atomic<int64_t> peak_before_resets{0};

int64_t kernel_peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

}  // namespace

int64_t process_peak_rss_bytes() {
  // VmHWM is current to the page; ru_maxrss can trail it.
  return std::max({peak_before_resets.load(), kernel_peak_rss_bytes(), resident_high_water_bytes()});
}

int64_t resident_high_water_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    int64_t kib = -1;
    fields >> kib;
    return kib < 0 ? -1 : kib * 1024;
  }
  return -1;
}

bool reset_peak_memory(torch::Device device) {
  if (device.is_cuda()) {
#if GEAR_WITH_CUDA
    const auto index = device.has_index() ? device.index() : c10::cuda::current_device();
    c10::cuda::CUDACachingAllocator::resetPeakStats(index);
    return true;
#else
    return false;
#endif
  }
  const int64_t seen = process_peak_rss_bytes();
  int64_t kept = peak_before_resets.load();
  while (seen > kept && !peak_before_resets.compare_exchange_weak(kept, seen)) {
  }
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

PeakMemory peak_memory(torch::Device device, bool per_stage) {
  PeakMemory peak;
  peak.per_stage = per_stage;
  if (device.is_cuda()) {
#if GEAR_WITH_CUDA
    const auto index = device.has_index() ? device.index() : c10::cuda::current_device();
    // Index 0 of the stat arrays is the aggregate over small and large pools in every version.
    peak.bytes = static_cast<int64_t>(
        c10::cuda::CUDACachingAllocator::getDeviceStats(index).allocated_bytes[0].peak);
#endif
    return peak;
  }
  peak.bytes = resident_high_water_bytes();
  return peak;
}

}  // namespace gear::host
