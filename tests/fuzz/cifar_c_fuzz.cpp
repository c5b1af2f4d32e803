// The CIFAR-10-C / CIFAR-100-C folder reader: labels.npy beside <corruption>.npy files, packed
// into one input (fuzz_tree.h); every corruption present (at most three) at every severity, and
// a severity outside 1..5.

#include "cifar_c.h"
#include "fuzz_dataset.h"
#include "fuzz_tree.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gear::fuzz::single_threaded();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gear::plugins::robustness;
  const auto root = gear::fuzz::unpack_tree(data, size);
  gear::fuzz::refuse_with_data_error([&] {
    CifarCReader reader(root);
    std::vector<std::string> corruptions = reader.corruptions();
    if (corruptions.size() > 3) corruptions.resize(3);
    corruptions.push_back("absent");
    for (const std::string& corruption : corruptions)
      for (int severity = 0; severity <= 5; ++severity)
        gear::fuzz::refuse_with_data_error([&] { reader.read(corruption, severity); });
  });
  return 0;
}
