// Hand-written descriptors that the host must refuse. FIXTURE_CASE selects which field is wrong.

#include <cstddef>

#include "gear/gear.h"

namespace {
GearStatus register_nothing(void*, char*, size_t) noexcept { return GEAR_OK; }
}  // namespace

extern "C" GEAR_EXPORT const GearPluginDescriptor* gear_plugin_descriptor_v1(void) {
  static GearPluginDescriptor d = {sizeof(GearPluginDescriptor),
                                   GEAR_ABI_VERSION,
                                   GEAR_SDK_VERSION_MAJOR,
                                   GEAR_SDK_VERSION_MINOR,
                                   GEAR_SDK_VERSION_PATCH,
                                   GEAR_TOOLCHAIN_FINGERPRINT,
                                   "gear-fixture-" FIXTURE_CASE,
                                   "0.0.1",
                                   "broken on purpose",
                                   &register_nothing};
#if defined(FIXTURE_WRONG_ABI)
  d.abi_version = 99;
#elif defined(FIXTURE_WRONG_TOOLCHAIN)
  d.toolchain = "gcc-4;gxxabi=1002;cxx11abi=0;torch=0.4;cuda=0";
#elif defined(FIXTURE_WRONG_SDK)
  d.sdk_major = GEAR_SDK_VERSION_MAJOR + 1;
#elif defined(FIXTURE_OLDER_SDK_MINOR)
  d.sdk_minor = GEAR_SDK_VERSION_MINOR - 1;
#elif defined(FIXTURE_SHORT_DESCRIPTOR)
  // A descriptor from before register_all existed: the host must not read past its end.
  d.struct_size = static_cast<uint32_t>(offsetof(GearPluginDescriptor, register_all));
#endif
  return &d;
}
