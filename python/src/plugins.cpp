// gear.load_plugins, gear.list_plugins, gear.describe, and the conversions the other bindings
// share (keyword arguments to options, JSON and option values to Python).
#include <dlfcn.h>

#include <filesystem>
#include <memory>
#include <mutex>

#include "bindings.h"
#include "gear/host/host_schemas.h"
#include "gear/host/logging.h"
#include "gear/host/plugin_loader.h"
#include "gear/host/stage_kind.h"
#include "gear/host/text_match.h"
#include "gear/host/toml_config.h"

namespace gear::python {

namespace fs = std::filesystem;

namespace {

std::mutex registry_mutex;
std::unique_ptr<host::Registry> loaded;  // never destroyed before exit: plugins stay mapped

// The folder of this extension module, found through one of its own symbols.
fs::path module_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&module_folder), &info) == 0 || !info.dli_fname) return {};
  return fs::path(info.dli_fname).parent_path();
}

// GEAR_PLUGIN_PATH first, then the plugins beside this module: the build tree puts the module in
// build/python/gear and the plugins in build/lib/gear/plugins; an install puts them in
// <prefix>/lib/python3.X/dist-packages/gear and <prefix>/lib/gear/plugins.
std::vector<fs::path> default_folders(const std::vector<std::string>& extra) {
  std::vector<fs::path> folders = host::plugin_search_path(extra);
  const fs::path here = module_folder();
  for (const fs::path& candidate : {here / "../../lib/gear/plugins", here / "../../../gear/plugins",
                                    fs::path(GEAR_INSTALLED_PLUGIN_DIR)}) {
    std::error_code ec;
    if (!fs::is_directory(candidate, ec)) continue;
    const fs::path canonical = fs::weakly_canonical(candidate, ec);
    bool seen = false;
    for (const auto& f : folders) seen = seen || fs::weakly_canonical(f, ec) == canonical;
    if (!seen) folders.push_back(canonical);
  }
  return folders;
}

const host::Registry& load(const std::vector<std::string>& extra) {
  // Inside gearhost (a python: strategy) the host's own registry already holds the plugins.
  if (const host::Registry* host_registry = host::process_registry()) return *host_registry;
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (!loaded) {
    // Only here, not at import: inside gearhost (a python: strategy) the host owns the logger.
    host::setup_logging("warn");
    loaded = std::make_unique<host::Registry>();
    host::load_plugins(default_folders(extra), *loaded);
  }
  return *loaded;
}

py::dict component_dict(const host::ComponentEntry& entry, const host::Registry& registry) {
  py::dict d;
  d["name"] = entry.info.name;
  d["kind"] = entry.info.kind;
  d["doc"] = entry.info.doc;
  d["library"] = entry.library;
  d["version"] = registry.version_of(entry.library);
  return d;
}

py::list schema_list(const OptionSchema& schema) {
  py::list options;
  for (const auto& spec : schema.options()) {
    py::dict o;
    const bool other_keys = spec.name == OptionSchema::kOtherKeys;
    o["name"] = spec.name;
    o["type"] = other_keys ? "any" : to_string(spec.type);
    o["required"] = !spec.default_value.has_value();
    o["default"] = spec.default_value && !other_keys ? to_python(*spec.default_value) : py::none();
    o["min"] = spec.min ? py::cast(*spec.min) : py::none();
    o["max"] = spec.max ? py::cast(*spec.max) : py::none();
    o["choices"] = spec.choices;
    o["doc"] = spec.doc;
    options.append(o);
  }
  return options;
}

// toml++ nodes from Python values, so keyword arguments go through the pipeline's validation.
void insert_value(toml::table& table, const std::string& key, const py::handle& value,
                  const std::string& path) {
  auto scalar_error = [&](const py::handle& v) {
    return ConfigError({"<python>", 0, 0}, path + "." + key,
                       "expected a bool, int, float, str or a list of them, got " +
                           std::string(py::str(py::type::of(v).attr("__name__"))));
  };
  auto push = [&](auto&& add, const py::handle& v) {
    if (py::isinstance<py::bool_>(v))
      add(v.cast<bool>());
    else if (py::isinstance<py::int_>(v))
      add(v.cast<int64_t>());
    else if (py::isinstance<py::float_>(v))
      add(v.cast<double>());
    else if (py::isinstance<py::str>(v))
      add(v.cast<std::string>());
    else
      throw scalar_error(v);
  };
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    toml::array array;
    for (const auto& item : value) push([&](auto x) { array.push_back(x); }, item);
    table.insert_or_assign(key, std::move(array));
  } else {
    push([&](auto x) { table.insert_or_assign(key, x); }, value);
  }
}

}  // namespace

const host::Registry& registry() { return load({}); }

Config config_from_kwargs(const OptionSchema& schema, const py::dict& kwargs,
                          const std::string& path) {
  toml::table table;
  for (const auto& [key, value] : kwargs) insert_value(table, py::str(key), value, path);
  return host::config_from_table(table, path, schema, "<python>");
}

py::object to_python(const nlohmann::json& value) {
  return py::module_::import("json").attr("loads")(value.dump());
}

py::object to_python(const Value& value) {
  return std::visit([](const auto& v) -> py::object { return py::cast(v); }, value);
}

void bind_plugins(py::module_& m) {
  m.def(
      "load_plugins",
      [](const std::vector<std::string>& folders) {
        std::lock_guard<std::mutex> lock(registry_mutex);
        if (loaded)
          throw std::runtime_error(
              "gear.load_plugins() must come before the first call that uses plugins (the "
              "plugins already loaded stay loaded)");
        host::setup_logging("warn");
        loaded = std::make_unique<host::Registry>();
        std::vector<std::string> extra(folders.begin(), folders.end());
        host::load_plugins(default_folders(extra), *loaded);
      },
      py::arg("folders"),
      "Loads plugins from `folders` (searched first), then GEAR_PLUGIN_PATH and the folder "
      "beside the module. Optional: the first call that needs plugins loads the defaults.");
  m.def(
      "list_plugins",
      [](bool refused) {
        const host::Registry& r = registry();
        py::list out;
        for (const auto* entry : r.entries()) out.append(component_dict(*entry, r));
        if (!refused) return out;
        py::list refusals;
        for (const auto& p : r.plugins())
          if (!p.loaded)
            refusals.append(py::dict(py::arg("path") = p.path, py::arg("reason") = p.refusal));
        return refusals;
      },
      py::arg("refused") = false,
      "The registered components as dicts (name, kind, doc, library, version); with "
      "refused=True, the libraries the loader refused (path, reason) instead.");
  m.def(
      "describe",
      [](const std::string& name) {
        const host::Registry& r = registry();
        if (const host::ComponentEntry* entry = r.find(name)) {
          py::dict d = component_dict(*entry, r);
          d["options"] = schema_list(entry->info.schema);
          return d;
        }
        std::vector<std::string> tables = {"run", "data", "model"};
        for (const auto& kind : host::stage_kind_names()) tables.push_back(kind);
        OptionSchema schema;
        if (name == "run")
          schema = host::run_schema();
        else if (name == "data")
          schema = host::data_schema();
        else if (name == "model")
          schema = host::model_schema();
        else if (const host::StageKind* kind = host::find_stage_kind(name))
          schema = kind->schema();
        else {
          std::vector<std::string> all = tables;
          for (const auto* e : r.entries()) all.push_back(e->info.name);
          throw ConfigError({}, "",
                            "no plugin component or host table named '" + name + "'" +
                                host::suggestion_text(name, all));
        }
        py::dict d;
        d["name"] = name;
        d["kind"] = "host table";
        d["options"] = schema_list(schema);
        return d;
      },
      py::arg("name"),
      "A component's (or a host table's: run, data, model or a stage kind) option schema: name, "
      "kind, doc, library and options (name, type, required, default, min, max, choices, doc).");
  m.def("stage_kinds", &host::stage_kind_names, "The stage kinds a pipeline may use, in order.");
  m.def(
      "component_kinds",
      [] {
        py::dict out;
        for (const auto& [kind, doc] : registry().kinds()) out[py::str(kind)] = doc;
        return out;
      },
      "The component kinds of the loaded plugins: {kind: doc}.");
}

}  // namespace gear::python
