#pragma once

// What every `python:` component shares, whatever its kind: finding the module and class a
// stage names, checking the stage's keys against the constructor, and Python tracebacks.

#include <string>

#include "bindings.h"
#include "gear/config.h"
#include "gear/growable_net.h"
#include "net_handle.h"

namespace gear::python {

/// Which kind of component a `python:` name makes.
struct PythonComponentKind {
  const char* key;         ///< the stage key naming it: "strategy", "pruner"
  const char* base_class;  ///< the gear class it must subclass: "GrowthStrategy", "Pruner"
  const char* noun;        ///< for messages: "growth strategy", "pruner"
};

/// Imports the module of `options`' "python:module.Class" at `kind.key` (the pipeline's folder
/// and python_path first on sys.path), checks the class subclasses gear.<base_class> and that
/// the stage's other keys (those neither the stage kind nor `bridge` declares) fit its
/// constructor, and returns an instance; `*target` receives "module.Class". Throws ConfigError
/// at the key for a module, class or option that does not fit, and std::runtime_error with the
/// traceback for anything the class raises. The caller holds the GIL.
py::object make_python_component(const Config& options, const OptionSchema& bridge,
                                 const PythonComponentKind& kind, std::string* target);

/// Field `name` of what a Python component returned: a dict's item or an object's attribute;
/// None when absent.
py::object result_field(const py::handle& result, const char* name);

/// Python's own rendering of the pending exception, traceback included.
std::string traceback_text(py::error_already_set& error);

/// A Python instance a C++ component holds: dropped under the GIL, whatever thread destroys it.
class PythonInstance {
 public:
  PythonInstance(py::object instance, std::string target)
      : instance_(std::move(instance)), target_(std::move(target)) {}
  ~PythonInstance() {
    py::gil_scoped_acquire gil;
    instance_ = py::object();
  }
  PythonInstance(const PythonInstance&) = delete;
  PythonInstance& operator=(const PythonInstance&) = delete;

  /// Calls instance.<method>(net, context) with `net` (borrowed, for inputs of `sample_shape`)
  /// and `context` (a handle whose `context` member points at the host's) lent for the call:
  /// both handles are emptied afterwards, so an instance that keeps them gets an error instead
  /// of a dangling object. A Python exception becomes std::runtime_error("<what> <target>
  /// raised:" and the traceback). The caller holds the GIL.
  template <typename ContextHandle>
  py::object call(const char* method, GrowableNet& net, const std::vector<int64_t>& sample_shape,
                  ContextHandle context, const std::string& what) {
    py::object net_object = py::cast(
        NetHandle{std::shared_ptr<GrowableNet>(&net, [](GrowableNet*) {}), sample_shape, ""});
    py::object context_object = py::cast(context);
    auto release = [&] {
      net_object.cast<NetHandle&>().net.reset();
      context_object.cast<ContextHandle&>().context = nullptr;
    };
    try {
      py::object result = instance_.attr(method)(net_object, context_object);
      release();
      return result;
    } catch (py::error_already_set& e) {
      release();
      throw std::runtime_error(what + " " + target_ + " raised:\n" + traceback_text(e));
    } catch (...) {
      release();
      throw;
    }
  }

 private:
  py::object instance_;
  std::string target_;
};

}  // namespace gear::python
