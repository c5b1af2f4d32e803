// The checkpoint and resume-point readers (LibTorch's archive format underneath, then GEAR's
// metadata, state JSON and tensor list) on arbitrary bytes.

#include "fuzz_support.h"
#include "gear/host/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = gear::fuzz::input_file(data, size, "checkpoint.pt");
  gear::fuzz::refuse_or_read([&] { gear::host::read_checkpoint_meta(file); });
  gear::fuzz::refuse_or_read([&] { gear::host::read_resume_point(file); });
  return 0;
}
