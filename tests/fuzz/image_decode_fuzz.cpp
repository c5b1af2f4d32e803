// The image decoders behind the image-folder and Tiny ImageNet datasets and the JPEG corruption
// sets (format sniffed from the bytes: JPEG through libjpeg, PNG through libpng).

#include <vector>

#include "fuzz_support.h"
#include "image_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  gear::fuzz::refuse_or_read([&] { gear::plugins::image_io::decode_image(bytes, "fuzz input"); });
  return 0;
}
