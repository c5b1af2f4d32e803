#pragma once

/// @file
/// Symbol visibility and SDK version macros shared by the host and every plugin.

#define GEAR_EXPORT __attribute__((visibility("default")))

/// SDK version: the C++ interfaces plugins implement (sdk/include/gear). C++ classes and torch
/// objects cross the plugin boundary, so while the major is 0 a plugin loads only into a host of
/// the same major.minor: each minor may change a class layout or vtable, and plugins are rebuilt
/// for it. The patch level never changes a layout. (docs/architecture.md: versions.)
#define GEAR_SDK_VERSION_MAJOR 0
#define GEAR_SDK_VERSION_MINOR 14
#define GEAR_SDK_VERSION_PATCH 0

/// Version of the C descriptor layout returned by `gear_plugin_descriptor_v1` (abi.h); the host
/// refuses any other.
#define GEAR_ABI_VERSION 1u
