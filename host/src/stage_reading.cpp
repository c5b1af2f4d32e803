#include "gear/host/stage_reading.h"

#include <algorithm>

#include "gear/host/text_match.h"
#include "gear/host/toml_config.h"

namespace gear::host {

std::string string_key(const toml::table& table, const std::string& key, const std::string& def,
                       const std::string& path, const std::string& file) {
  const toml::node* node = table.get(key);
  if (!node) return def;
  if (!node->is_string())
    throw ConfigError(position_of(*node, file), path + "." + key, "expected a string");
  return *node->value<std::string>();
}

ComponentRef component_section(const toml::table& table, const std::string& path,
                               const std::string& plugin_key, const std::string& default_plugin,
                               const std::string& kind, const OptionSchema& host_schema,
                               const Registry& registry, const std::string& file, Config* host,
                               const std::vector<std::string>& skip) {
  std::string name = string_key(table, plugin_key, default_plugin, path, file);
  const toml::node* node = table.get(plugin_key);
  SourcePosition where = node ? position_of(*node, file) : position_of(table, file);
  const ComponentEntry& entry = registry.require(kind, name, where, path + "." + plugin_key);
  OptionSchema schema = entry.info.schema;
  schema.merge(host_schema);
  Config config = config_from_table(table, path, schema, file, skip);
  *host = config;
  return {name, config};
}

ComponentRef read_component_choice(
    const toml::table& table, const std::string& path, const ComponentChoice& choice,
    const Registry& registry, const std::string& file, Config& host,
    const std::function<OptionSchema(const std::string&, const SourcePosition&,
                                     const std::string&)>& schema_of) {
  const toml::node* node = table.get(choice.key);
  const std::string key_path = path + "." + choice.key;
  auto schema_for = [&](const std::string& name, const SourcePosition& where,
                        const std::string& key) {
    if (schema_of) return schema_of(name, where, key);
    return registry.require(choice.kind, name, where, key).info.schema;
  };
  ComponentRef ref;
  if (!node || node->is_string()) {
    const std::string name = node ? *node->value<std::string>() : choice.default_name;
    if (name != choice.none || choice.none.empty()) {
      const SourcePosition where = node ? position_of(*node, file) : position_of(table, file);
      ref = {name,
             config_from_table(toml::table{}, key_path, schema_for(name, where, key_path), file)};
    }
  } else if (node->is_table()) {
    const toml::table& sub = *node->as_table();
    const std::string name = string_key(sub, "name", "", key_path, file);
    if (name.empty())
      throw ConfigError(position_of(*node, file), key_path + ".name",
                        "a " + choice.key + " table needs name = \"...\"");
    const SourcePosition where = position_of(*sub.get("name"), file);
    ref = {name, config_from_table(sub, key_path, schema_for(name, where, key_path + ".name"), file,
                                   {"name"})};
  } else {
    throw ConfigError(position_of(*node, file), key_path,
                      "expected a " + choice.kind + " name or a table {name = ..., ...}");
  }
  host.set(choice.key, Value(ref.name.empty() ? choice.none : ref.name),
           node ? position_of(*node, file) : SourcePosition{}, node != nullptr);
  return ref;
}

std::vector<ComponentRef> read_component_list(const toml::table& table, const std::string& path,
                                              const ComponentList& list, const Registry& registry,
                                              const std::string& file) {
  std::vector<ComponentRef> components;
  std::vector<std::pair<std::string, SourcePosition>> named;
  if (const toml::node* names = table.get(list.key)) {
    if (!names->is_array()) return components;  // the schema reports a wrong type
    for (const auto& item : *names->as_array())
      if (item.is_string()) named.emplace_back(*item.value<std::string>(), position_of(item, file));
  } else {
    for (const std::string& name : list.defaults)
      named.emplace_back(name, position_of(table, file));
  }
  std::vector<std::string> seen;
  for (const auto& [name, where] : named) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      throw ConfigError(where, path + "." + list.key,
                        list.noun + " '" + name + "' is listed twice");
    seen.push_back(name);
    if (std::find(list.builtins.begin(), list.builtins.end(), name) != list.builtins.end())
      continue;
    const ComponentEntry* entry = registry.find(name);
    if (!entry || entry->info.kind != list.kind) {
      std::vector<std::string> known = registry.names(list.kind);
      known.insert(known.begin(), list.builtins.begin(), list.builtins.end());
      throw ConfigError(where, path + "." + list.key,
                        "unknown " + list.noun + " '" + name + "'" + suggestion_text(name, known));
    }
    const std::string component_path = path + "." + name;
    const toml::node* options = table.get(name);
    if (options && !options->is_table())
      throw ConfigError(
          position_of(*options, file), component_path,
          "options of " + list.noun + " '" + name + "' are a table: " + name + " = { ... }");
    components.push_back({name, config_from_table(options ? *options->as_table() : toml::table{},
                                                  component_path, entry->info.schema, file)});
  }
  return components;
}

std::vector<ComponentRef> read_evaluators(const toml::table& table, const std::string& path,
                                          const Registry& registry, const std::string& file) {
  return read_component_list(table, path,
                             {"suites", ComponentKindOf<Evaluator>::kName, "suite", {"clean"}, {}},
                             registry, file);
}

void write_config(std::ostream& out, const Config& config, const std::vector<std::string>& skip) {
  for (const auto& name : config.names()) {
    if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    out << name << " = " << to_toml(config.value(name)) << "\n";
  }
}

bool write_component_table(std::ostream& out, const std::string& table, const ComponentRef& ref) {
  if (ref.name.empty()) return false;
  out << "[" << table << "]\nname = " << to_toml(Value(ref.name)) << "\n";
  write_config(out, ref.options);
  return true;
}

}  // namespace gear::host
