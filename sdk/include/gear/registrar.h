#pragma once

/// @file
/// The registrar a plugin fills in its GEAR_PLUGIN block.

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "gear/architecture.h"
#include "gear/augmentation.h"
#include "gear/component_kind.h"
#include "gear/config.h"
#include "gear/dataset.h"
#include "gear/evaluator.h"
#include "gear/growth_strategy.h"
#include "gear/objective.h"

namespace gear {

/// Creates a component of interface `T` from its validated options. The Config is borrowed for
/// the call; the component is owned by whoever holds the returned pointer.
template <typename T>
using Factory = std::function<std::shared_ptr<T>(const Config&)>;

/// A factory with its interface erased: the pointer holds an object of the registered kind's
/// interface (a `std::shared_ptr<Interface>` converted to `void`), so the host can cast it back
/// to that interface and nothing else.
using AnyFactory = std::function<std::shared_ptr<void>(const Config&)>;

/// What every registration carries.
struct ComponentInfo {
  /// The kind's name, ComponentKindOf<Interface>::kName ("architecture", "growth", ...).
  std::string kind;
  /// The kind's one-line doc, ComponentKindOf<Interface>::kDoc.
  std::string kind_doc;
  /// The name pipelines use ("vgg11", "osg"); unique across all loaded plugins.
  std::string name;
  /// One line for `gearhost list`.
  std::string doc;
  /// Options the component accepts; the host validates the user's table against it.
  OptionSchema schema;
};

/// Implemented by the host. A plugin calls the add templates, which check at compile time that
/// the class has the shape the host needs:
///
///   r.add<gear::Objective, MyLoss>("my_loss", "what it computes");
///
/// The shorthands (add_architecture, add_growth, ...) are the same call for the built-in kinds.
class Registrar {
 public:
  virtual ~Registrar() = default;

  /// Registers `T`, a component of kind `Interface`, built as `T(const Config&)` with options
  /// `T::schema()`. `name` and `doc` are copied.
  template <typename Interface, typename T>
  void add(const std::string& name, const std::string& doc) {
    add<Interface, T>(name, doc, T::schema(), default_factory<Interface, T>());
  }
  /// Same with a custom factory (one class serving several names).
  template <typename Interface, typename T>
  void add(const std::string& name, const std::string& doc, Factory<Interface> factory) {
    add<Interface, T>(name, doc, T::schema(), std::move(factory));
  }
  /// Same with a preset's own schema (the class's options with other defaults: `era` is
  /// `augmix` with one chain) and a factory.
  template <typename Interface, typename T>
  void add(const std::string& name, const std::string& doc, OptionSchema schema,
           Factory<Interface> factory) {
    check_component<Interface, T>();
    using Kind = ComponentKindOf<Interface>;
    register_component({Kind::kName, Kind::kDoc, name, doc, std::move(schema)},
                       [factory = std::move(factory)](const Config& options) {
                         return std::shared_ptr<void>(factory(options));
                       });
  }

  /// add<Architecture, T>.
  template <typename T, typename... Args>
  void add_architecture(const std::string& name, const std::string& doc, Args&&... args) {
    add<Architecture, T>(name, doc, std::forward<Args>(args)...);
  }
  /// add<Dataset, T>.
  template <typename T, typename... Args>
  void add_dataset(const std::string& name, const std::string& doc, Args&&... args) {
    add<Dataset, T>(name, doc, std::forward<Args>(args)...);
  }
  /// add<Augmentation, T>.
  template <typename T, typename... Args>
  void add_augmentation(const std::string& name, const std::string& doc, Args&&... args) {
    add<Augmentation, T>(name, doc, std::forward<Args>(args)...);
  }
  /// add<GrowthStrategy, T>.
  template <typename T, typename... Args>
  void add_growth(const std::string& name, const std::string& doc, Args&&... args) {
    add<GrowthStrategy, T>(name, doc, std::forward<Args>(args)...);
  }
  /// add<Evaluator, T>: a suite an evaluate stage names in `suites = [...]`.
  template <typename T, typename... Args>
  void add_evaluator(const std::string& name, const std::string& doc, Args&&... args) {
    add<Evaluator, T>(name, doc, std::forward<Args>(args)...);
  }
  /// add<Objective, T>: a training loss a train stage names in `objective`.
  template <typename T, typename... Args>
  void add_objective(const std::string& name, const std::string& doc, Args&&... args) {
    add<Objective, T>(name, doc, std::forward<Args>(args)...);
  }

  /// The host's side of registration, for every kind. `info` and `factory` are moved in. A
  /// duplicate or empty name throws std::invalid_argument.
  virtual void register_component(ComponentInfo info, AnyFactory factory) = 0;

 private:
  template <typename Interface, typename T>
  static void check_component() {
    static_assert(std::has_virtual_destructor_v<Interface>,
                  "a component kind's interface needs a virtual destructor");
    static_assert(std::is_base_of_v<Interface, T>,
                  "a GEAR component must derive from its kind's interface");
    static_assert(std::is_same_v<decltype(T::schema()), OptionSchema>,
                  "expected signature: static gear::OptionSchema schema()");
  }
  template <typename Interface, typename T>
  static Factory<Interface> default_factory() {
    static_assert(std::is_constructible_v<T, const Config&>,
                  "expected constructor: explicit T(const gear::Config& options)");
    return [](const Config& options) -> std::shared_ptr<Interface> {
      return std::make_shared<T>(options);
    };
  }
};

}  // namespace gear
