#include "python_component.h"

#include <filesystem>

#include "gear/host/stage_kind.h"
#include "gear/host/text_match.h"

namespace gear::python {

namespace fs = std::filesystem;

std::string traceback_text(py::error_already_set& error) {
  try {
    py::object lines = py::module_::import("traceback")
                           .attr("format_exception")(error.type(), error.value(), error.trace());
    return py::str("").attr("join")(lines).cast<std::string>();
  } catch (const std::exception&) {
    return error.what();
  }
}

py::object result_field(const py::handle& result, const char* name) {
  if (py::isinstance<py::dict>(result)) {
    py::dict d = py::reinterpret_borrow<py::dict>(result);
    return d.contains(name) ? py::reinterpret_borrow<py::object>(d[name]) : py::none();
  }
  return py::getattr(result, name, py::none());
}

namespace {

// "python:pkg.module.Class" -> ("pkg.module", "Class").
std::pair<std::string, std::string> split_target(const Config& options, const std::string& key) {
  const std::string named = options.get<std::string>(key);
  const std::string target = named.substr(named.find(':') + 1);
  const size_t dot = target.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == target.size())
    throw ConfigError(options.where(key), options.path() + "." + key,
                      "expected " + key + " = \"python:<module>.<Class>\", got \"" + named + "\"");
  return {target.substr(0, dot), target.substr(dot + 1)};
}

// The pipeline's folder and `python_path` (relative to it) go first on sys.path, so a
// strategy module beside the pipeline imports without setting PYTHONPATH.
void extend_sys_path(const Config& options, const std::string& key) {
  const fs::path pipeline = options.where(key).file;
  const fs::path base =
      fs::is_regular_file(pipeline) ? fs::absolute(pipeline).parent_path() : fs::current_path();
  std::vector<std::string> folders;
  for (const auto& entry : options.get<std::vector<std::string>>("python_path"))
    folders.push_back((base / entry).lexically_normal().string());
  folders.push_back(base.string());
  py::list path = py::module_::import("sys").attr("path");
  for (auto it = folders.rbegin(); it != folders.rend(); ++it)
    if (!path.contains(*it)) path.insert(0, *it);
}

// The keys the Python class receives: every option that neither the stage's kind nor the
// bridge declares (a prune stage's target.<measure> is the host's too).
py::dict constructor_kwargs(const Config& options, const OptionSchema& bridge) {
  const OptionSchema host_keys = host::stage_kind(options.get<std::string>("kind")).schema();
  py::dict kwargs;
  for (const auto& name : options.names())
    if (!host_keys.find(name) && !bridge.find(name) && name.rfind("target.", 0) != 0)
      kwargs[py::str(name)] = to_python(options.value(name));
  return kwargs;
}

// Checks the options against the constructor's signature, so a misspelt key is a ConfigError
// at its line rather than a TypeError from Python.
void check_signature(const py::object& cls, const std::string& target, const py::dict& kwargs,
                     const Config& options, const std::string& key) {
  py::object inspect = py::module_::import("inspect");
  py::object parameters = inspect.attr("signature")(cls).attr("parameters");
  py::object empty = inspect.attr("Parameter").attr("empty");
  std::vector<std::string> accepted;
  bool var_keyword = false;
  for (const auto& item : parameters.attr("values")()) {
    const std::string kind = py::str(item.attr("kind").attr("name"));
    if (kind == "VAR_KEYWORD") var_keyword = true;
    if (kind == "POSITIONAL_OR_KEYWORD" || kind == "KEYWORD_ONLY")
      accepted.push_back(py::str(item.attr("name")));
  }
  for (const auto& [key, value] : kwargs) {
    const std::string name = py::str(key);
    if (var_keyword || std::find(accepted.begin(), accepted.end(), name) != accepted.end())
      continue;
    throw ConfigError(options.where(name), options.path() + "." + name,
                      target + " takes no option '" + name + "'" +
                          (accepted.empty() ? std::string("; it takes none")
                                            : host::suggestion_text(name, accepted)));
  }
  for (const auto& item : parameters.attr("values")()) {
    const std::string kind = py::str(item.attr("kind").attr("name"));
    const std::string name = py::str(item.attr("name"));
    if ((kind == "POSITIONAL_OR_KEYWORD" || kind == "KEYWORD_ONLY") &&
        py::object(item.attr("default")).is(empty) && !kwargs.contains(name))
      throw ConfigError(options.where(key), options.path() + "." + name,
                        target + " needs option '" + name + "' in the stage table");
  }
}

}  // namespace

py::object make_python_component(const Config& options, const OptionSchema& bridge,
                                 const PythonComponentKind& kind, std::string* target_out) {
  const std::string key = kind.key;
  const auto [module_name, class_name] = split_target(options, key);
  const std::string target = module_name + "." + class_name;
  *target_out = target;
  try {
    extend_sys_path(options, key);
    py::module_ module;
    try {
      module = py::module_::import(module_name.c_str());
    } catch (py::error_already_set& e) {
      if (!e.matches(PyExc_ModuleNotFoundError)) throw;
      throw ConfigError(options.where(key), options.path() + "." + key,
                        "cannot import Python module '" + module_name +
                            "': " + py::str(e.value()).cast<std::string>() +
                            " (searched the pipeline's folder, python_path and sys.path)");
    }
    if (!py::hasattr(module, class_name.c_str())) {
      std::vector<std::string> candidates;
      for (const auto& [name, value] : module.attr("__dict__").cast<py::dict>())
        if (py::isinstance<py::type>(value) && py::str(name).cast<std::string>()[0] != '_')
          candidates.push_back(py::str(name));
      throw ConfigError(options.where(key), options.path() + "." + key,
                        "Python module '" + module_name + "' has no class '" + class_name + "'" +
                            host::suggestion_text(class_name, candidates));
    }
    py::object cls = module.attr(class_name.c_str());
    py::object base = py::module_::import("gear").attr(kind.base_class);
    if (!py::isinstance<py::type>(cls) || !PyObject_IsSubclass(cls.ptr(), base.ptr()))
      throw ConfigError(options.where(key), options.path() + "." + key,
                        target + " is not a subclass of gear." + kind.base_class);
    py::dict kwargs = constructor_kwargs(options, bridge);
    check_signature(cls, target, kwargs, options, key);
    return cls(**kwargs);
  } catch (py::error_already_set& e) {
    throw std::runtime_error("Python " + std::string(kind.noun) + " " + target +
                             " could not be created:\n" + traceback_text(e));
  }
}

}  // namespace gear::python
