// The Tiny-ImageNet-C / ImageNet-C reader: <corruption>/<severity>/<wnid>/*.JPEG packed into one
// input (fuzz_tree.h), every corruption present (at most three) at every severity, labelled by
// the sorted folder names.

#include "fuzz_dataset.h"
#include "fuzz_tree.h"
#include "image_folder_c.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gear::fuzz::single_threaded();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gear::plugins::robustness;
  const auto root = gear::fuzz::unpack_tree(data, size);
  std::vector<std::string> corruptions = {"fog"};
  gear::fuzz::refuse_with_data_error([&] { corruptions = image_folder_c_corruptions(root); });
  if (corruptions.size() > 3) corruptions.resize(3);
  for (const std::string& corruption : corruptions)
    for (int severity = 1; severity <= 5; ++severity)
      gear::fuzz::refuse_with_data_error(
          [&] { read_image_folder_c(root, corruption, severity, {}); });
  return 0;
}
