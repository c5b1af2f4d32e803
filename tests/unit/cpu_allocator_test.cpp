// The "retain" CPU allocator mode: a training-like pattern of large tensors, allocated, written
// and freed every step, stops faulting in fresh pages once the heap has settled.

#include "gear/host/cpu_allocator.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <stdexcept>
#include <vector>

namespace gear::host {
namespace {

// One "step": activations of several sizes live at once, the largest (40 MiB, a batch of 128
// 32x32 maps with 80 channels) above the 32 MiB that glibc's self-adjusting mmap threshold can
// reach, so with glibc's defaults it is mapped afresh, and faulted in page by page, every step.
long faults_of_one_step() {
  const long before = minor_page_faults();
  {
    std::vector<torch::Tensor> live;
    for (int64_t mib : {4, 8, 40}) live.push_back(torch::ones({mib << 18}));  // 4-byte floats
    for (auto& t : live) EXPECT_EQ(t[t.numel() - 1].item<float>(), 1.0f);
  }
  return minor_page_faults() - before;
}

// AddressSanitizer replaces malloc, so glibc's settings do not apply (scripts/sanitize).
#if defined(__SANITIZE_ADDRESS__)
#define GEAR_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GEAR_TEST_UNDER_ASAN 1
#endif
#endif

TEST(CpuAllocator, RetainReusesMappedPagesAcrossSteps) {
#ifndef __GLIBC__
  GTEST_SKIP() << "retain configures glibc's malloc";
#endif
#ifdef GEAR_TEST_UNDER_ASAN
  GTEST_SKIP() << "AddressSanitizer's allocator replaces glibc's malloc";
#endif
  EXPECT_NE(configure_cpu_allocator("retain").find("retained"), std::string::npos);
  for (int step = 0; step < 10; ++step) faults_of_one_step();  // the heap settles
  long later = 0;
  for (int step = 0; step < 10; ++step) later += faults_of_one_step();
  // With glibc's defaults the 40 MiB tensor alone costs 10,240 faults per step.
  EXPECT_LT(later, 10 * 100) << "steps after the heap settled still fault in fresh pages";
}

TEST(CpuAllocator, RejectsUnknownModes) {
  EXPECT_THROW(configure_cpu_allocator("jemalloc"), std::invalid_argument);
  EXPECT_NO_THROW(configure_cpu_allocator("system"));
}

}  // namespace
}  // namespace gear::host
