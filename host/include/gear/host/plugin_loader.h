#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gear/host/registry.h"

namespace gear::host {

/// The toolchain fingerprint of this host build (what every plugin must match).
const char* host_toolchain();

/// Plugin folders in search order: `cli` (from --plugin-path, may be empty), then the entries of
/// GEAR_PLUGIN_PATH (colon-separated), then <exe_dir>/../lib/gear/plugins. Missing ones are kept
/// (the loader logs them).
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& cli);

/// Loads one shared library: opens it (RTLD_NOW | RTLD_LOCAL, never closed), checks its
/// descriptor against the host, and calls its registration. Returns the record; on refusal the
/// record says why and nothing from the library stays registered. Never throws for a bad plugin.
PluginRecord load_plugin(const std::filesystem::path& library, Registry& registry);

/// Loads every *.so in each folder (sorted by name, folders in order), recording each in
/// registry.plugins() and logging a refusal with its reason. A name registered twice keeps the
/// first and refuses the later library.
void load_plugins(const std::vector<std::filesystem::path>& folders, Registry& registry);

}  // namespace gear::host
