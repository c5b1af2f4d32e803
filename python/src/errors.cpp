// C++ exceptions become the gear package's Python exceptions, with the position kept as
// attributes (ConfigError.file, .line, .column, .key).
#include "gear/errors.h"

#include "bindings.h"
#include "gear/dataset.h"
#include "gear/host/plugin_error.h"

namespace gear::python {

namespace {

// The exception classes live in gear/__init__.py, so Python code can subclass and catch them
// without importing the extension.
void raise(const char* python_class, py::object instance_or_message) {
  py::object cls = py::module_::import("gear").attr(python_class);
  py::object error =
      py::isinstance<py::str>(instance_or_message) ? cls(instance_or_message) : instance_or_message;
  PyErr_SetObject(cls.ptr(), error.ptr());
}

}  // namespace

void bind_errors(py::module_&) {
  py::register_exception_translator([](std::exception_ptr pointer) {
    if (!pointer) return;
    try {
      std::rethrow_exception(pointer);
    } catch (const ConfigError& e) {
      py::object cls = py::module_::import("gear").attr("ConfigError");
      raise("ConfigError",
            cls(std::string(e.what()), e.where().file, e.where().line, e.where().column, e.key()));
    } catch (const DataError& e) {
      raise("DataError", py::str(e.what()));
    } catch (const host::PluginError& e) {
      raise("PluginError", py::str(e.what()));
    }
  });
}

}  // namespace gear::python
