// The Fashion-MNIST IDX reader, plain and gzip-compressed, as images (rank 3) and labels (rank 1).

#include "fuzz_support.h"
#include "idx_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using gear::plugins::datasets::read_idx;
  // The first byte picks the name, so one corpus exercises both the plain and the gzip path.
  const bool gzip = size > 0 && (data[0] & 1);
  const auto file = gear::fuzz::input_file(data, size, gzip ? "images.gz" : "images");
  gear::fuzz::refuse_or_read([&] { read_idx(file.string(), 3); });
  gear::fuzz::refuse_or_read([&] { read_idx(file.string(), 1); });
  return 0;
}
