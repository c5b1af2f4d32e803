// The NumPy .npy reader behind the precomputed corruption sets (CIFAR-10-C, CIFAR-100-C,
// MNIST-C): the header's dict, dtype, shape and the data size.

#include "fuzz_support.h"
#include "npy_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gear::plugins;
  const auto file = gear::fuzz::input_file(data, size, "fog.npy");
  gear::fuzz::refuse_or_read([&] { robustness::read_npy_header(file); });
  gear::fuzz::refuse_or_read([&] { robustness::read_npy(file); });
  return 0;
}
