// The CIFAR binary reader, in the CIFAR-10 and the CIFAR-100 record formats.

#include "cifar_dataset.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gear::plugins::datasets;
  const auto file = gear::fuzz::input_file(data, size, "data_batch_1.bin");
  gear::fuzz::refuse_or_read([&] { read_cifar_files({file.string()}, CifarRecordFormat{}); });
  CifarRecordFormat cifar100;
  cifar100.labels = {{"coarse label", 20}, {"fine label", 100}};
  cifar100.label_index = 1;
  gear::fuzz::refuse_or_read([&] { read_cifar_files({file.string()}, cifar100); });
  return 0;
}
