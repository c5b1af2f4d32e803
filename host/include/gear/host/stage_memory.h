#pragma once

/// @file
/// Peak memory of one stage: the CUDA caching allocator's peak on a GPU, the process's resident
/// high-water mark on the CPU (reset per stage through /proc/self/clear_refs).

#include <torch/types.h>

#include <cstdint>

namespace gear::host {

/// A stage's peak memory.
struct PeakMemory {
  int64_t bytes = 0;
  /// True when the figure covers the stage alone; false when the high-water mark could not be
  /// reset (a kernel without clear_refs) and it covers the process so far.
  bool per_stage = false;
};

/// Starts measuring a stage on `device`: resets the allocator's peak statistics (CUDA) or the
/// kernel's VmHWM (CPU: writes "5" to /proc/self/clear_refs, which sets it to the current
/// resident size). Returns whether the reset took effect.
bool reset_peak_memory(torch::Device device);

/// The peak since the last reset_peak_memory(device): allocated bytes (CUDA) or resident bytes
/// (CPU, VmHWM of /proc/self/status). `per_stage` is the reset's return value.
PeakMemory peak_memory(torch::Device device, bool per_stage);

/// The process's peak resident memory over its whole life, in bytes. The kernel's own figure
/// (getrusage's ru_maxrss) falls with every per-stage reset, so the peaks seen before each reset
/// are kept and count too.
int64_t process_peak_rss_bytes();

/// The process's resident high-water mark (VmHWM) in bytes, or -1 when /proc is not readable.
int64_t resident_high_water_bytes();

}  // namespace gear::host
