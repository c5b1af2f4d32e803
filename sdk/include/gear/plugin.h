#pragma once

/// @file
/// GEAR_PLUGIN: the one macro a plugin author writes.
///
///   GEAR_PLUGIN("gear-osg", "1.0.0", "One-shot growth") { r.add_growth<Osg>("osg", "..."); }
///
/// It defines the exported C descriptor and a noexcept trampoline that runs the block with a
/// gear::Registrar& named `r`, turning any exception into an error status and message.

#include <cstring>
#include <exception>

#include "gear/abi.h"
#include "gear/registrar.h"
#include "gear/toolchain.h"

namespace gear::detail {

/// Copies `message` into the host's buffer, truncating and NUL-terminating.
inline void copy_error(const char* message, char* error, size_t error_size) noexcept {
  if (error == nullptr || error_size == 0) return;
  std::strncpy(error, message, error_size - 1);
  error[error_size - 1] = '\0';
}

/// Calls `Register` and reports any exception as GEAR_ERROR with its message.
template <void (*Register)(Registrar&)>
GearStatus register_trampoline(void* registrar, char* error, size_t error_size) noexcept {
  try {
    Register(*static_cast<Registrar*>(registrar));
    return GEAR_OK;
  } catch (const std::exception& e) {
    copy_error(e.what(), error, error_size);
  } catch (...) {
    copy_error("unknown exception during registration", error, error_size);
  }
  return GEAR_ERROR;
}

}  // namespace gear::detail

#define GEAR_PLUGIN(plugin_name, plugin_version, plugin_description)                        \
  static void gear_plugin_register(::gear::Registrar& r);                                   \
  extern "C" GEAR_EXPORT const GearPluginDescriptor* gear_plugin_descriptor_v1(void) {       \
    static const GearPluginDescriptor descriptor = {                                        \
        sizeof(GearPluginDescriptor),                                                       \
        GEAR_ABI_VERSION,                                                                   \
        GEAR_SDK_VERSION_MAJOR,                                                             \
        GEAR_SDK_VERSION_MINOR,                                                             \
        GEAR_SDK_VERSION_PATCH,                                                             \
        GEAR_TOOLCHAIN_FINGERPRINT,                                                         \
        plugin_name,                                                                        \
        plugin_version,                                                                     \
        plugin_description,                                                                 \
        &::gear::detail::register_trampoline<&gear_plugin_register>};                       \
    return &descriptor;                                                                     \
  }                                                                                         \
  static void gear_plugin_register([[maybe_unused]] ::gear::Registrar& r)
