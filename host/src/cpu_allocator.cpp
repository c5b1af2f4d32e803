#include "gear/host/cpu_allocator.h"

#include <sys/resource.h>

#include <stdexcept>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace gear::host {
namespace {
#ifdef __GLIBC__
// Allocations above the mmap threshold get fresh pages every time. glibc 2.36 (Debian 12) takes
// 1 GiB, so only the dataset and other long-lived giants are mmapped; older glibc refuses more
// than HEAP_MAX_SIZE / 2 (32 MiB on 64-bit targets).
constexpr int kMmapThresholds[] = {1 << 30, 32 << 20};
constexpr int kNeverTrim = 0x7fffffff;  // mallopt takes an int: 2 GiB - 1 of free heap top
// Threads other than the main one allocate from their own arenas, made of 64 MiB heaps. glibc
// unmaps such a heap as soon as its top is free, whatever the trim threshold, so a worker thread
// (batch-split training) faults its activations in afresh every step: ~10x the page faults and
// 15% of the CPU time on 2 workers. A top pad of one heap keeps them mapped.
constexpr int kTopPad = 64 << 20;
#endif
}  // namespace

std::string configure_cpu_allocator(const std::string& mode) {
  if (mode != "retain" && mode != "system")
    throw std::invalid_argument("cpu_allocator: expected retain or system, got " + mode);
#ifdef __GLIBC__
  if (mode == "system") return "CPU allocator: the C library's settings";
  int threshold = 0;
  for (int candidate : kMmapThresholds) {
    if (mallopt(M_MMAP_THRESHOLD, candidate) == 1) {
      threshold = candidate;
      break;
    }
  }
  if (threshold == 0 || mallopt(M_TRIM_THRESHOLD, kNeverTrim) != 1 ||
      mallopt(M_TOP_PAD, kTopPad) != 1)
    return "CPU allocator: glibc refused the retain settings";
  return "CPU allocator: freed memory retained (glibc mmap threshold " +
         std::to_string(threshold >> 20) + " MiB, no trimming, 64 MiB top pad)";
#else
  return "CPU allocator: not glibc; " + mode + " has no effect";
#endif
}

long minor_page_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

}  // namespace gear::host
