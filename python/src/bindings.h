#pragma once

// What the module's sources share: the bind_* functions module.cpp calls, the process-wide
// plugin registry, and conversions between Python values, options and JSON.

#include <torch/csrc/utils/pybind.h>

#include <nlohmann/json.hpp>
#include <string>

#include "gear/config.h"
#include "gear/host/registry.h"

namespace gear::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_plugins(py::module_& m);
void bind_run(py::module_& m);
void bind_net(py::module_& m);
void bind_ops(py::module_& m);
void bind_growth(py::module_& m);
void bind_pruning(py::module_& m);

/// The plugins this process loaded: on first use from GEAR_PLUGIN_PATH and the folder beside
/// the module (the build tree's or the installed one), or from gear.load_plugins(). Lives until
/// the process ends (plugins are never unloaded).
const host::Registry& registry();

/// Validates keyword arguments against `schema` exactly as a pipeline table is validated (same
/// types, ranges, choices and did-you-mean messages), `path` naming the table in messages.
Config config_from_kwargs(const OptionSchema& schema, const py::dict& kwargs,
                          const std::string& path);

/// A JSON document as Python objects (dict, list, str, int, float, bool, None).
py::object to_python(const nlohmann::json& value);

/// An option value as a Python object.
py::object to_python(const Value& value);

}  // namespace gear::python
