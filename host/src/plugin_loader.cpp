#define BOOST_DLL_USE_STD_FS
#include "gear/host/plugin_loader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "gear/abi.h"
#include "gear/toolchain.h"

namespace gear::host {
namespace fs = std::filesystem;

const char* host_toolchain() { return GEAR_TOOLCHAIN_FINGERPRINT; }

std::vector<fs::path> plugin_search_path(const std::vector<std::string>& cli) {
  std::vector<fs::path> folders(cli.begin(), cli.end());
  if (const char* env = std::getenv("GEAR_PLUGIN_PATH")) {
    std::stringstream list(env);
    std::string item;
    while (std::getline(list, item, ':'))
      if (!item.empty()) folders.emplace_back(item);
  }
  std::error_code ec;
  fs::path exe = boost::dll::program_location(ec);
  if (!ec) folders.push_back(exe.parent_path().parent_path() / "lib" / "gear" / "plugins");
  return folders;
}

namespace {

// Keeps every opened library alive until the process ends: objects created by a plugin (and the
// exception messages they produce) must never outlive its code.
std::vector<std::unique_ptr<boost::dll::shared_library>>& open_libraries() {
  static auto* libraries = new std::vector<std::unique_ptr<boost::dll::shared_library>>();
  return *libraries;
}

std::string check_descriptor(const GearPluginDescriptor* d) {
  if (d == nullptr) return "descriptor function returned null";
  if (d->struct_size < sizeof(GearPluginDescriptor))
    return "descriptor struct is " + std::to_string(d->struct_size) + " bytes, host needs " +
           std::to_string(sizeof(GearPluginDescriptor)) + " (built against an older SDK?)";
  if (d->abi_version != GEAR_ABI_VERSION)
    return "ABI version " + std::to_string(d->abi_version) + ", host has " +
           std::to_string(GEAR_ABI_VERSION);
  // C++ classes cross the boundary, and in SDK 0.x any minor may change one of their layouts or
  // vtables: only a plugin built against the host's own major.minor is safe to call.
  if (d->sdk_major != GEAR_SDK_VERSION_MAJOR || d->sdk_minor != GEAR_SDK_VERSION_MINOR)
    return "built for SDK " + std::to_string(d->sdk_major) + "." + std::to_string(d->sdk_minor) +
           ", host has SDK " + std::to_string(GEAR_SDK_VERSION_MAJOR) + "." +
           std::to_string(GEAR_SDK_VERSION_MINOR) +
           " (plugins are rebuilt for each SDK minor while the major is 0)";
  std::string toolchain = d->toolchain ? d->toolchain : "";
  if (toolchain != host_toolchain())
    return "toolchain mismatch: plugin built with '" + toolchain + "', host is '" +
           host_toolchain() + "'";
  if (d->name == nullptr || *d->name == '\0') return "descriptor has no plugin name";
  if (d->register_all == nullptr) return "descriptor has no registration function";
  return {};
}

}  // namespace

PluginRecord load_plugin(const fs::path& library, Registry& registry) {
  PluginRecord record;
  record.path = library.string();
  auto handle = std::make_unique<boost::dll::shared_library>();
  try {
    handle->load(library, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    record.refusal = std::string("cannot load: ") + e.what();
    return record;
  }
  if (!handle->has(GEAR_PLUGIN_ENTRY_SYMBOL)) {
    record.refusal = std::string("no entry symbol '") + GEAR_PLUGIN_ENTRY_SYMBOL +
                     "' (not a GEAR plugin, or built without GEAR_PLUGIN)";
    open_libraries().push_back(std::move(handle));
    return record;
  }
  auto entry = handle->get<const GearPluginDescriptor*()>(GEAR_PLUGIN_ENTRY_SYMBOL);
  const GearPluginDescriptor* d = entry();
  open_libraries().push_back(std::move(handle));
  if (d != nullptr && d->struct_size >= offsetof(GearPluginDescriptor, name) + sizeof(char*)) {
    record.toolchain = d->toolchain ? d->toolchain : "";
  }
  record.refusal = check_descriptor(d);
  if (!record.refusal.empty()) return record;
  record.name = d->name;
  record.version = d->version ? d->version : "";
  record.description = d->description ? d->description : "";

  const size_t mark = registry.mark();
  registry.set_current_library(record.path);
  char error[1024] = {0};
  GearStatus status = GEAR_ERROR;
  try {
    status = d->register_all(static_cast<Registrar*>(&registry), error, sizeof(error));
  } catch (...) {
    // The trampoline is noexcept; reaching here means a hand-written descriptor misbehaved.
    std::snprintf(error, sizeof(error), "registration threw across the C boundary");
  }
  registry.set_current_library("<built-in>");
  if (status != GEAR_OK) {
    registry.rollback(mark);
    record.refusal = std::string("registration failed: ") + (error[0] ? error : "no message");
    return record;
  }
  for (const auto* e : registry.entries())
    if (e->library == record.path) record.components.push_back(e->info.name);
  record.loaded = true;
  if (record.components.empty())
    spdlog::warn("plugin {} ({}) loaded but registered no component", record.name, record.path);
  return record;
}

void load_plugins(const std::vector<fs::path>& folders, Registry& registry) {
  std::vector<std::string> searched;
  for (const auto& folder : folders) searched.push_back(folder.string());
  registry.set_searched_folders(std::move(searched));
  for (const auto& folder : folders) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) {
      spdlog::debug("plugin folder {} does not exist", folder.string());
      continue;
    }
    std::vector<fs::path> libraries;
    for (const auto& item : fs::directory_iterator(folder, ec))
      if (item.path().extension() == ".so") libraries.push_back(item.path());
    std::sort(libraries.begin(), libraries.end());
    for (const auto& library : libraries) {
      fs::path canonical = fs::weakly_canonical(library, ec);
      bool seen = std::any_of(registry.plugins().begin(), registry.plugins().end(),
                              [&](const PluginRecord& r) { return r.path == canonical.string(); });
      if (seen) continue;
      PluginRecord record = load_plugin(canonical, registry);
      if (record.loaded)
        spdlog::debug("loaded plugin {} {} from {}", record.name, record.version, record.path);
      else
        spdlog::warn("skipped plugin {}: {}", record.path, record.refusal);
      registry.plugins().push_back(std::move(record));
    }
  }
}

}  // namespace gear::host
