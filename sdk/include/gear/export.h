#pragma once

/// @file
/// Symbol visibility and SDK version macros shared by the host and every plugin.

#define GEAR_EXPORT __attribute__((visibility("default")))

/// SDK semantic version. A plugin loads when its major equals the host's and its minor is not
/// newer than the host's (the host may add SDK features, never remove them within a major).
#define GEAR_SDK_VERSION_MAJOR 0
#define GEAR_SDK_VERSION_MINOR 2
#define GEAR_SDK_VERSION_PATCH 0

/// Version of the C descriptor layout returned by `gear_plugin_descriptor_v1`.
#define GEAR_ABI_VERSION 1u
