// The generic image folder (<class>/<image>, or train/ beside test/ or val/), packed into one
// input (fuzz_tree.h): listing, the seeded hold-out, JPEG and PNG decoding, channel conversion,
// and, in a second pass, resizing to a fixed size. Without the decoded-tensor cache.

#include "fuzz_dataset.h"
#include "fuzz_tree.h"
#include "image_folder.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gear::fuzz::single_threaded();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gear;
  using plugins::datasets::ImageFolder;
  const auto root = fuzz::unpack_tree(data, size);
  const std::vector<std::vector<std::pair<std::string, Value>>> settings = {
      {},  // the images' own size, which they must share
      {{"size", Value(std::vector<int64_t>{6, 5})}, {"channels", Value(int64_t{1})}},
  };
  for (const auto& extra : settings) {
    std::vector<std::pair<std::string, Value>> values = {{"path", Value(root.string())},
                                                         {"cache", Value(false)}};
    values.insert(values.end(), extra.begin(), extra.end());
    ImageFolder dataset(fuzz::dataset_options(ImageFolder::schema(), values));
    fuzz::refuse_with_data_error([&] {
      dataset.info();
      dataset.load(SplitKind::kTrain);
      dataset.load(SplitKind::kTest);
    });
  }
  return 0;
}
