#pragma once

/// @file
/// Symbol visibility and SDK version macros shared by the host and every plugin.

#define GEAR_EXPORT __attribute__((visibility("default")))

/// SDK semantic version. A plugin loads when its major equals the host's and its minor is not
/// newer than the host's (the host may add SDK features, never remove them within a major).
/// Virtual functions added in a minor go last in their class, and the host calls them only on
/// components whose plugin was built for that minor or later.
#define GEAR_SDK_VERSION_MAJOR 0
#define GEAR_SDK_VERSION_MINOR 5
#define GEAR_SDK_VERSION_PATCH 0

/// Version of the C descriptor layout returned by `gear_plugin_descriptor_v1`.
#define GEAR_ABI_VERSION 1u
