#pragma once

/// @file
/// The registrar a plugin fills in its GEAR_PLUGIN block.

#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "gear/architecture.h"
#include "gear/augmentation.h"
#include "gear/config.h"
#include "gear/dataset.h"
#include "gear/evaluator.h"
#include "gear/growth_strategy.h"

namespace gear {

/// The kinds of component a plugin can register.
enum class ComponentKind { kArchitecture, kDataset, kAugmentation, kGrowthStrategy, kEvaluator };

/// "architecture", "dataset", "augmentation", "growth", "evaluator".
const char* to_string(ComponentKind kind);

/// Creates a component from its validated options. The Config is borrowed for the call.
template <typename T>
using Factory = std::function<std::shared_ptr<T>(const Config&)>;

/// What every registration carries.
struct ComponentInfo {
  ComponentKind kind = ComponentKind::kArchitecture;
  /// The name pipelines use ("vgg11", "osg"); unique across all loaded plugins.
  std::string name;
  /// One line for `gearhost list`.
  std::string doc;
  /// Options the component accepts; the host validates the user's table against it.
  OptionSchema schema;
};

/// Implemented by the host. A plugin only calls the add_* templates, which check at compile time
/// that the class has the shape the host needs.
class Registrar {
 public:
  virtual ~Registrar() = default;

  /// Registers an architecture `T` built as `T(const Config&)`, with options `T::schema()`.
  template <typename T>
  void add_architecture(const std::string& name, const std::string& doc) {
    add_architecture<T>(name, doc, default_factory<Architecture, T>());
  }
  /// Same with a custom factory (for one class serving several names).
  template <typename T>
  void add_architecture(const std::string& name, const std::string& doc,
                        Factory<Architecture> factory) {
    check_component<Architecture, T>();
    register_architecture({ComponentKind::kArchitecture, name, doc, T::schema()},
                          std::move(factory));
  }
  /// Registers a dataset `T`.
  template <typename T>
  void add_dataset(const std::string& name, const std::string& doc) {
    add_dataset<T>(name, doc, default_factory<Dataset, T>());
  }
  /// Same with a custom factory (for one class serving several names).
  template <typename T>
  void add_dataset(const std::string& name, const std::string& doc, Factory<Dataset> factory) {
    check_component<Dataset, T>();
    register_dataset({ComponentKind::kDataset, name, doc, T::schema()}, std::move(factory));
  }
  /// Registers an augmentation policy `T`.
  template <typename T>
  void add_augmentation(const std::string& name, const std::string& doc) {
    add_augmentation<T>(name, doc, default_factory<Augmentation, T>());
  }
  /// Same with a custom factory (for presets of one class).
  template <typename T>
  void add_augmentation(const std::string& name, const std::string& doc,
                        Factory<Augmentation> factory) {
    check_component<Augmentation, T>();
    register_augmentation({ComponentKind::kAugmentation, name, doc, T::schema()},
                          std::move(factory));
  }
  /// Same with a preset's own schema (the class's options with other defaults): `era` is `augmix`
  /// with one chain.
  template <typename T>
  void add_augmentation(const std::string& name, const std::string& doc, OptionSchema schema,
                        Factory<Augmentation> factory) {
    check_component<Augmentation, T>();
    register_augmentation({ComponentKind::kAugmentation, name, doc, std::move(schema)},
                          std::move(factory));
  }
  /// Registers a growth strategy `T`.
  template <typename T>
  void add_growth(const std::string& name, const std::string& doc) {
    check_component<GrowthStrategy, T>();
    register_growth({ComponentKind::kGrowthStrategy, name, doc, T::schema()},
                    default_factory<GrowthStrategy, T>());
  }

  /// Registers an evaluator `T`: a suite an evaluate stage names in `suites = [...]`.
  template <typename T>
  void add_evaluator(const std::string& name, const std::string& doc) {
    check_component<Evaluator, T>();
    register_evaluator({ComponentKind::kEvaluator, name, doc, T::schema()},
                       default_factory<Evaluator, T>());
  }

  /// The host's side of registration. A duplicate name throws std::invalid_argument.
  virtual void register_architecture(ComponentInfo info, Factory<Architecture> factory) = 0;
  virtual void register_dataset(ComponentInfo info, Factory<Dataset> factory) = 0;
  virtual void register_augmentation(ComponentInfo info, Factory<Augmentation> factory) = 0;
  virtual void register_growth(ComponentInfo info, Factory<GrowthStrategy> factory) = 0;
  /// Added in SDK 1.2 (last in the table, so plugins built for 1.1 still find the others).
  virtual void register_evaluator(ComponentInfo info, Factory<Evaluator> factory) = 0;

 private:
  template <typename Base, typename T>
  static void check_component() {
    static_assert(std::is_base_of_v<Base, T>, "a GEAR component must derive from its interface");
    static_assert(std::is_same_v<decltype(T::schema()), OptionSchema>,
                  "expected signature: static gear::OptionSchema schema()");
  }
  template <typename Base, typename T>
  static Factory<Base> default_factory() {
    static_assert(std::is_constructible_v<T, const Config&>,
                  "expected constructor: explicit T(const gear::Config& options)");
    return [](const Config& options) -> std::shared_ptr<Base> {
      return std::make_shared<T>(options);
    };
  }
};

}  // namespace gear
