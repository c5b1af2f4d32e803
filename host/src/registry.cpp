#include "gear/host/registry.h"

#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "gear/host/plugin_error.h"
#include "gear/host/run_signals.h"
#include "gear/host/text_match.h"

namespace gear::host {

PluginError::PluginError(const std::string& component, const std::string& library,
                         const std::string& where, const std::string& what)
    : std::runtime_error("plugin '" + component + "' (" + library + ")" +
                         (where.empty() ? "" : " at " + where) + " failed: " + what),
      component_(component),
      library_(library) {}

namespace {
std::atomic<const Registry*> the_process_registry{nullptr};
}  // namespace

void set_process_registry(const Registry* registry) { the_process_registry.store(registry); }
const Registry* process_registry() { return the_process_registry.load(); }

void call_plugin(const std::string& component, const std::string& library,
                 const std::string& where, const std::function<void()>& fn) {
  const CrashPluginScope crash_scope(component, library);
  try {
    fn();
  } catch (const ConfigError&) {
    throw;
  } catch (const PluginError&) {
    throw;
  } catch (const DataError&) {
    throw;
  } catch (const std::exception& e) {
    // Copy the message now: the exception object belongs to the plugin's code.
    throw PluginError(component, library, where, e.what());
  } catch (...) {
    throw PluginError(component, library, where, "unknown exception");
  }
}

void Registry::register_component(ComponentInfo info, AnyFactory factory) {
  if (info.name.empty()) throw std::invalid_argument("component registered with an empty name");
  if (info.kind.empty())
    throw std::invalid_argument("component '" + info.name + "' registered without a kind");
  if (!factory) throw std::invalid_argument("component '" + info.name + "' has no factory");
  // A family ("python:") may serve several kinds, once each; every other name is unique.
  const std::string key = entry_key(info.name, info.kind);
  auto it = entries_.find(key);
  if (it != entries_.end())
    throw std::invalid_argument("duplicate component name '" + info.name +
                                "' (already registered by " + it->second.library + ")");
  for (const auto& [name, entry] : entries_)
    if (entry.info.kind == info.kind && entry.info.kind_doc != info.kind_doc)
      throw std::invalid_argument("component '" + info.name + "' declares kind '" + info.kind +
                                  "' differently from '" + name + "' (" + entry.library +
                                  "): two interfaces share the kind's name");
  ComponentEntry& entry = entries_[key];
  entry.info = std::move(info);
  entry.library = current_library_;
  entry.factory = std::move(factory);
  order_.push_back(key);
}

void Registry::rollback(size_t mark) {
  while (order_.size() > mark) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
}

bool Registry::is_family(const std::string& name) { return !name.empty() && name.back() == ':'; }

std::string Registry::entry_key(const std::string& name, const std::string& kind) {
  return is_family(name) ? name + kind : name;
}

const ComponentEntry* Registry::find(const std::string& name, const std::string& kind) const {
  auto it = entries_.find(name);
  if (it != entries_.end() && (kind.empty() || it->second.info.kind == kind)) return &it->second;
  // "python:module.Class" (and "python:" itself) is served by the family component registered
  // as "python:" for the kind; without a kind, by the family's first.
  const size_t colon = name.find(':');
  if (colon == std::string::npos) return nullptr;
  const std::string family = name.substr(0, colon + 1);
  if (!kind.empty()) {
    it = entries_.find(family + kind);
    return it == entries_.end() ? nullptr : &it->second;
  }
  it = entries_.lower_bound(family);
  if (it != entries_.end() && it->first.compare(0, family.size(), family) == 0 &&
      it->second.info.name == family)
    return &it->second;
  return nullptr;
}

const ComponentEntry& Registry::require(const std::string& kind, const std::string& name,
                                        const SourcePosition& where, const std::string& key) const {
  if (const ComponentEntry* entry = find(name, kind)) return *entry;
  const ComponentEntry* entry = find(name);
  std::string message = "unknown " + kind + " '" + name + "'";
  if (entry) message += " ('" + name + "' is a " + entry->info.kind + " plugin)";
  const std::vector<std::string> known = names(kind);
  message += known.empty() ? "; no " + kind + " plugin is loaded" : suggestion_text(name, known);
  throw ConfigError(where, key, message + searched_text());
}

std::vector<std::string> Registry::names(const std::string& kind) const {
  std::vector<std::string> out;
  for (const auto& [key, entry] : entries_)
    if (entry.info.kind == kind) out.push_back(entry.info.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> Registry::kinds() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, entry] : entries_) out.emplace(entry.info.kind, entry.info.kind_doc);
  return out;
}

std::vector<const ComponentEntry*> Registry::entries() const {
  std::vector<const ComponentEntry*> out;
  for (const auto& name : order_) out.push_back(&entries_.at(name));
  return out;
}

std::string Registry::library_of(const std::string& name) const {
  const ComponentEntry* entry = find(name);
  return entry ? entry->library : "?";
}

std::string Registry::version_of(const std::string& library) const {
  for (const auto& p : plugins_)
    if (p.path == library) return p.version;
  return {};
}

std::string Registry::searched_text() const {
  std::string folders;
  for (const auto& folder : searched_) folders += (folders.empty() ? "" : ", ") + folder;
  return folders.empty() ? "" : " (plugin folders searched: " + folders + ")";
}

std::shared_ptr<void> Registry::create_any(const std::string& kind, const std::string& name,
                                           const Config& options) const {
  const ComponentEntry* entry = find(name, kind);
  if (!entry) throw std::logic_error("component '" + name + "' is not a registered " + kind);
  std::shared_ptr<void> object;
  call_plugin(name, entry->library, options.where("").str(),
              [&] { object = entry->factory(options); });
  if (!object) throw PluginError(name, entry->library, options.path(), "factory returned null");
  return object;
}

}  // namespace gear::host
