#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gear/registrar.h"

namespace gear::host {

/// A shared library the loader looked at.
struct PluginRecord {
  std::string path;
  std::string name, version, description, toolchain;
  bool loaded = false;
  /// Why it was refused (empty when loaded).
  std::string refusal;
  /// Names it registered.
  std::vector<std::string> components;
};

/// One registered component with its provenance.
struct ComponentEntry {
  ComponentInfo info;
  /// The library it came from ("<built-in>" for host components).
  std::string library;
  /// Creates the component; the pointer holds an object of the kind's interface.
  AnyFactory factory;
};

/// All components and the plugins they came from, for every kind through one path: a new kind
/// of plugin needs its interface declared with GEAR_COMPONENT_KIND and nothing here. Components
/// are created through create<Interface>(), which turns any exception from plugin code into a
/// PluginError naming the component, its library and the pipeline position.
class Registry : public Registrar {
 public:
  void register_component(ComponentInfo info, AnyFactory factory) override;

  /// Sets the library that subsequent registrations are attributed to.
  void set_current_library(std::string path) { current_library_ = std::move(path); }
  /// Drops everything registered since `mark` (a plugin whose registration failed).
  size_t mark() const { return order_.size(); }
  void rollback(size_t mark);

  /// The component called `name` (of the kind named `kind`, when not empty), or nullptr. A name
  /// "family:detail" with no component of its own resolves to the family component registered
  /// as "family:" (the Python bridge is "python:", serving "python:module.Class"); the component
  /// reads the detail from its options. A family may serve several kinds, one component each;
  /// without a kind, find() returns one of them (they come from one library).
  const ComponentEntry* find(const std::string& name, const std::string& kind = "") const;
  /// The component called `name` of the kind named `kind`; throws ConfigError at `where` for
  /// `key`, listing the names of that kind with a did-you-mean, when there is none.
  const ComponentEntry& require(const std::string& kind, const std::string& name,
                                const SourcePosition& where, const std::string& key) const;
  /// require() for the kind whose interface is `Interface`.
  template <typename Interface>
  const ComponentEntry& require(const std::string& name, const SourcePosition& where,
                                const std::string& key) const {
    return require(ComponentKindOf<Interface>::kName, name, where, key);
  }
  /// Names of the kind named `kind`, sorted.
  std::vector<std::string> names(const std::string& kind) const;
  /// The kinds that have components, each with its doc, sorted by name.
  std::map<std::string, std::string> kinds() const;
  /// All entries, in registration order.
  std::vector<const ComponentEntry*> entries() const;

  /// Creates the component `name` of kind `Interface` from `options` (borrowed for the call).
  /// Throws std::logic_error when `name` is not a component of that kind (pipelines are
  /// validated first), PluginError when its factory throws or returns null.
  template <typename Interface>
  std::shared_ptr<Interface> create(const std::string& name, const Config& options) const {
    return std::static_pointer_cast<Interface>(
        create_any(ComponentKindOf<Interface>::kName, name, options));
  }

  /// Plugins seen by the loader, loaded or refused.
  std::vector<PluginRecord>& plugins() { return plugins_; }
  const std::vector<PluginRecord>& plugins() const { return plugins_; }
  /// The library the component `name` came from, for attributing its errors; "?" when there is
  /// no such component.
  std::string library_of(const std::string& name) const;
  /// The version of the plugin library `library`, or "" (built-in, or not a plugin).
  std::string version_of(const std::string& library) const;
  /// Records the folders the loader searched, for messages about unknown names.
  void set_searched_folders(std::vector<std::string> folders) { searched_ = std::move(folders); }
  /// " (plugin folders searched: a, b)", or "" when the loader recorded none.
  std::string searched_text() const;

 private:
  std::shared_ptr<void> create_any(const std::string& kind, const std::string& name,
                                   const Config& options) const;

  static bool is_family(const std::string& name);
  /// entries_'s key: the name, and for a family the name and the kind.
  static std::string entry_key(const std::string& name, const std::string& kind);

  std::map<std::string, ComponentEntry> entries_;
  std::vector<std::string> order_;
  std::string current_library_ = "<built-in>";
  std::vector<PluginRecord> plugins_;
  std::vector<std::string> searched_;
};

/// The registry of the program that owns this process (gearhost), or nullptr. Code loaded into
/// that program (the gear Python module, imported by a python: strategy inside gearhost) uses it
/// instead of loading the plugins a second time. `registry` is borrowed and must outlive every
/// later call; pass nullptr to clear it.
void set_process_registry(const Registry* registry);
const Registry* process_registry();

/// Runs `fn`, turning any exception other than ConfigError/PluginError into a PluginError for
/// `component` from `library` at `where`.
void call_plugin(const std::string& component, const std::string& library,
                 const std::string& where, const std::function<void()>& fn);

}  // namespace gear::host
