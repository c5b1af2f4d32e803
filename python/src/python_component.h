#pragma once

// What every `python:` component shares, whatever its kind: finding the module and class a
// stage names, checking the stage's keys against the constructor, and Python tracebacks.

#include <string>

#include "bindings.h"
#include "gear/config.h"

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

}  // namespace gear::python
