#pragma once

/// @file
/// The one C entry point of a GEAR plugin: the descriptor the loader reads before it calls any
/// C++ code. Its layout is GEAR_ABI_VERSION; a change to it is a new ABI version, refused by
/// older hosts, and the loader checks struct_size before reading any field.

#include <stddef.h>
#include <stdint.h>

#include "gear/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Result of a call across the plugin boundary.
typedef enum GearStatus { GEAR_OK = 0, GEAR_ERROR = 1 } GearStatus;

/// Describes a plugin. The plugin owns the struct and every string in it; they live as long as
/// the library stays loaded (the host never unloads plugins).
typedef struct GearPluginDescriptor {
  /// sizeof(GearPluginDescriptor) when the plugin was built; the host refuses a smaller struct
  /// before reading the fields after it.
  uint32_t struct_size;
  /// GEAR_ABI_VERSION the plugin was built with; must equal the host's.
  uint32_t abi_version;
  /// SDK semantic version the plugin was built against.
  uint32_t sdk_major, sdk_minor, sdk_patch;
  /// Toolchain fingerprint (compiler, C++ ABI, LibTorch version, CUDA); must equal the host's
  /// because C++ objects and torch tensors cross the boundary.
  const char* toolchain;
  /// Plugin (library) name, e.g. "gear-vgg".
  const char* name;
  /// Plugin version, free-form semver.
  const char* version;
  /// One-line description.
  const char* description;
  /// Registers the plugin's components. `registrar` is a borrowed `gear::Registrar*` valid for
  /// the duration of the call. On failure the plugin writes a NUL-terminated message of at most
  /// `error_size` bytes into the caller-owned `error` buffer and returns GEAR_ERROR. Never throws.
  GearStatus (*register_all)(void* registrar, char* error, size_t error_size);
} GearPluginDescriptor;

/// Name of the exported entry symbol, for loaders.
#define GEAR_PLUGIN_ENTRY_SYMBOL "gear_plugin_descriptor_v1"

/// The entry point. Returns a pointer to a static descriptor owned by the plugin.
typedef const GearPluginDescriptor* (*GearPluginEntry)(void);

#ifdef __cplusplus
}
#endif
