// The pipeline reader (TOML parsing, every host table, every stage kind and the plugins' schemas)
// on arbitrary bytes, with the built plugins loaded as gearhost loads them.

#include <cstdlib>

#include "fuzz_support.h"
#include "gear/host/pipeline.h"
#include "gear/host/plugin_loader.h"

namespace {
gear::host::Registry* registry = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  registry = new gear::host::Registry();
  gear::host::load_plugins({GEAR_PLUGIN_DIR}, *registry);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto file = gear::fuzz::input_file(data, size, "p.toml");
  gear::fuzz::refuse_or_read([&] { gear::host::read_pipeline(file.string(), {}, *registry); });
  return 0;
}
