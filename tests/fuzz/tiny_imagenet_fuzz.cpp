// Tiny ImageNet (tiny-imagenet-200): wnids.txt, train/<wnid>/images/*.JPEG,
// val/val_annotations.txt and val/images/, packed into one input (fuzz_tree.h). Both splits are
// listed and decoded, without the decoded-tensor cache.

#include "fuzz_dataset.h"
#include "fuzz_tree.h"
#include "tiny_imagenet.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  gear::fuzz::single_threaded();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gear;
  using plugins::datasets::TinyImageNet;
  const auto root = fuzz::unpack_tree(data, size);
  TinyImageNet dataset(fuzz::dataset_options(
      TinyImageNet::schema(), {{"path", Value(root.string())}, {"cache", Value(false)}}));
  fuzz::refuse_with_data_error([&] { dataset.info(); });
  fuzz::refuse_with_data_error([&] { dataset.load(SplitKind::kTrain); });
  fuzz::refuse_with_data_error([&] { dataset.load(SplitKind::kTest); });
  return 0;
}
