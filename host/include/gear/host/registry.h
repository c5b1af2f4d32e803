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
  /// SDK minor version the library was built for (the host's own for built-ins): SDK functions
  /// added in a later minor are not called on this component.
  uint32_t sdk_minor = GEAR_SDK_VERSION_MINOR;
  Factory<Architecture> architecture;
  Factory<Dataset> dataset;
  Factory<Augmentation> augmentation;
  Factory<GrowthStrategy> growth;
  Factory<Evaluator> evaluator;
};

/// All components and the plugins they came from. Components are created through create_*(),
/// which turns any exception from plugin code into a PluginError naming the component, its
/// library and the pipeline position.
class Registry : public Registrar {
 public:
  void register_architecture(ComponentInfo info, Factory<Architecture> factory) override;
  void register_dataset(ComponentInfo info, Factory<Dataset> factory) override;
  void register_augmentation(ComponentInfo info, Factory<Augmentation> factory) override;
  void register_growth(ComponentInfo info, Factory<GrowthStrategy> factory) override;
  void register_evaluator(ComponentInfo info, Factory<Evaluator> factory) override;

  /// Sets the library that subsequent registrations are attributed to.
  void set_current_library(std::string path, uint32_t sdk_minor = GEAR_SDK_VERSION_MINOR) {
    current_library_ = std::move(path);
    current_sdk_minor_ = sdk_minor;
  }
  /// Drops everything registered since `mark` (a plugin whose registration failed).
  size_t mark() const { return order_.size(); }
  void rollback(size_t mark);

  /// The component called `name`, or nullptr. A name "family:detail" with no component of its
  /// own resolves to the family component registered as "family:" (the Python bridge is
  /// "python:", serving "python:module.Class"); the component reads the detail from its options.
  const ComponentEntry* find(const std::string& name) const;
  /// The component called `name` of `kind`; throws ConfigError at `where` for `key`, listing the
  /// names of that kind with a did-you-mean, when there is none.
  const ComponentEntry& require(ComponentKind kind, const std::string& name,
                                const SourcePosition& where, const std::string& key) const;
  /// Names of one kind, sorted.
  std::vector<std::string> names(ComponentKind kind) const;
  /// All entries, in registration order.
  std::vector<const ComponentEntry*> entries() const;

  std::shared_ptr<Architecture> create_architecture(const std::string& name,
                                                    const Config& options) const;
  std::shared_ptr<Dataset> create_dataset(const std::string& name, const Config& options) const;
  std::shared_ptr<Augmentation> create_augmentation(const std::string& name,
                                                    const Config& options) const;
  std::shared_ptr<GrowthStrategy> create_growth(const std::string& name,
                                                const Config& options) const;
  std::shared_ptr<Evaluator> create_evaluator(const std::string& name,
                                              const Config& options) const;

  /// Plugins seen by the loader, loaded or refused.
  std::vector<PluginRecord>& plugins() { return plugins_; }
  const std::vector<PluginRecord>& plugins() const { return plugins_; }

 private:
  ComponentEntry& add(ComponentInfo info);
  template <typename T>
  std::shared_ptr<T> create(const std::string& name, const Config& options,
                            Factory<T> ComponentEntry::*factory) const;

  std::map<std::string, ComponentEntry> entries_;
  std::vector<std::string> order_;
  std::string current_library_ = "<built-in>";
  uint32_t current_sdk_minor_ = GEAR_SDK_VERSION_MINOR;
  std::vector<PluginRecord> plugins_;
};

/// Runs `fn`, turning any exception other than ConfigError/PluginError into a PluginError for
/// `component` from `library` at `where`.
void call_plugin(const std::string& component, const std::string& library,
                 const std::string& where, const std::function<void()>& fn);

}  // namespace gear::host
