#include "gear/host/registry.h"

#include <algorithm>
#include <stdexcept>

#include "gear/host/plugin_error.h"
#include "gear/host/text_match.h"

namespace gear::host {

PluginError::PluginError(const std::string& component, const std::string& library,
                         const std::string& where, const std::string& what)
    : std::runtime_error("plugin '" + component + "' (" + library + ")" +
                         (where.empty() ? "" : " at " + where) + " failed: " + what),
      component_(component),
      library_(library) {}

void call_plugin(const std::string& component, const std::string& library,
                 const std::string& where, const std::function<void()>& fn) {
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

ComponentEntry& Registry::add(ComponentInfo info) {
  if (info.name.empty()) throw std::invalid_argument("component registered with an empty name");
  auto it = entries_.find(info.name);
  if (it != entries_.end())
    throw std::invalid_argument("duplicate component name '" + info.name + "' (already registered by " +
                                it->second.library + ")");
  std::string name = info.name;
  ComponentEntry& entry = entries_[name];
  entry.info = std::move(info);
  entry.library = current_library_;
  entry.sdk_minor = current_sdk_minor_;
  order_.push_back(name);
  return entry;
}

void Registry::register_architecture(ComponentInfo info, Factory<Architecture> factory) {
  add(std::move(info)).architecture = std::move(factory);
}
void Registry::register_dataset(ComponentInfo info, Factory<Dataset> factory) {
  add(std::move(info)).dataset = std::move(factory);
}
void Registry::register_augmentation(ComponentInfo info, Factory<Augmentation> factory) {
  add(std::move(info)).augmentation = std::move(factory);
}
void Registry::register_growth(ComponentInfo info, Factory<GrowthStrategy> factory) {
  add(std::move(info)).growth = std::move(factory);
}
void Registry::register_evaluator(ComponentInfo info, Factory<Evaluator> factory) {
  add(std::move(info)).evaluator = std::move(factory);
}

void Registry::rollback(size_t mark) {
  while (order_.size() > mark) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
}

const ComponentEntry* Registry::find(const std::string& name) const {
  auto it = entries_.find(name);
  if (it != entries_.end()) return &it->second;
  // "python:module.Class" is served by the family component registered as "python:".
  const size_t colon = name.find(':');
  if (colon == std::string::npos || colon + 1 == name.size()) return nullptr;
  it = entries_.find(name.substr(0, colon + 1));
  return it == entries_.end() ? nullptr : &it->second;
}

const ComponentEntry& Registry::require(ComponentKind kind, const std::string& name,
                                        const SourcePosition& where,
                                        const std::string& key) const {
  const ComponentEntry* entry = find(name);
  if (entry && entry->info.kind == kind) return *entry;
  std::string message = "unknown " + std::string(to_string(kind)) + " '" + name + "'";
  if (entry)
    message += " ('" + name + "' is a " + to_string(entry->info.kind) + " plugin)";
  throw ConfigError(where, key, message + suggestion_text(name, names(kind)));
}

std::vector<std::string> Registry::names(ComponentKind kind) const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : entries_)
    if (entry.info.kind == kind) out.push_back(name);
  return out;
}

std::vector<const ComponentEntry*> Registry::entries() const {
  std::vector<const ComponentEntry*> out;
  for (const auto& name : order_) out.push_back(&entries_.at(name));
  return out;
}

template <typename T>
std::shared_ptr<T> Registry::create(const std::string& name, const Config& options,
                                    Factory<T> ComponentEntry::*factory) const {
  const ComponentEntry* entry = find(name);
  if (!entry || !(entry->*factory))
    throw std::logic_error("component '" + name + "' is not registered with that kind");
  std::shared_ptr<T> object;
  call_plugin(name, entry->library, options.where("").str(),
              [&] { object = (entry->*factory)(options); });
  if (!object) throw PluginError(name, entry->library, options.path(), "factory returned null");
  return object;
}

std::shared_ptr<Architecture> Registry::create_architecture(const std::string& name,
                                                            const Config& options) const {
  return create(name, options, &ComponentEntry::architecture);
}
std::shared_ptr<Dataset> Registry::create_dataset(const std::string& name,
                                                  const Config& options) const {
  return create(name, options, &ComponentEntry::dataset);
}
std::shared_ptr<Augmentation> Registry::create_augmentation(const std::string& name,
                                                            const Config& options) const {
  return create(name, options, &ComponentEntry::augmentation);
}
std::shared_ptr<GrowthStrategy> Registry::create_growth(const std::string& name,
                                                        const Config& options) const {
  return create(name, options, &ComponentEntry::growth);
}
std::shared_ptr<Evaluator> Registry::create_evaluator(const std::string& name,
                                                      const Config& options) const {
  return create(name, options, &ComponentEntry::evaluator);
}

}  // namespace gear::host
