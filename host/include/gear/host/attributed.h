#pragma once

/// @file
/// A plugin object together with what its errors are attributed to, for wrappers that call
/// into it on every batch (a stage's augmentation, its objective).

#include <memory>
#include <string>
#include <utility>

#include "gear/host/registry.h"

namespace gear::host {

/// Owns a plugin object of interface `Interface` and calls it through call_plugin, so anything
/// it throws becomes a PluginError naming the component, its library and `where`.
template <typename Interface>
class Attributed {
 public:
  /// `inner` is shared with the caller; the strings are copied.
  Attributed(std::shared_ptr<Interface> inner, std::string name, std::string library,
             std::string where)
      : inner_(std::move(inner)),
        name_(std::move(name)),
        library_(std::move(library)),
        where_(std::move(where)) {}

  /// Runs `fn(object)` with the object's errors attributed.
  template <typename F>
  void call(F&& fn) const {
    call_plugin(name_, library_, where_, [&] { fn(*inner_); });
  }

 private:
  std::shared_ptr<Interface> inner_;
  std::string name_, library_, where_;
};

}  // namespace gear::host
