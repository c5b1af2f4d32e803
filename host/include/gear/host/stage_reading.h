#pragma once

/// @file
/// Reading the parts of a pipeline table that name plugins, shared by the pipeline reader and
/// the stage kinds.

#include <toml++/toml.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "gear/config.h"
#include "gear/host/pipeline.h"
#include "gear/host/registry.h"

namespace gear::host {

/// The string at `table[key]`, or `def` when absent. Throws ConfigError at `path.key` for a
/// value of another type. All arguments are borrowed for the call.
std::string string_key(const toml::table& table, const std::string& key, const std::string& def,
                       const std::string& path, const std::string& file);

/// A table whose `plugin_key` names a component of `kind` (default `default_plugin`): the
/// table's keys are validated against the component's schema merged with `host_schema` (host
/// keys win). `*host` receives the whole validated table; the returned reference carries the
/// same Config as its options. Keys in `skip` are left to the caller.
ComponentRef component_section(const toml::table& table, const std::string& path,
                               const std::string& plugin_key, const std::string& default_plugin,
                               const std::string& kind, const OptionSchema& host_schema,
                               const Registry& registry, const std::string& file, Config* host,
                               const std::vector<std::string>& skip = {});

/// A key that names a component of `kind` either as a string ("era") or as a table with its
/// options ({name = "era", padding = 2}); absent means `default_name`. `none` (when not empty)
/// is the string that means no component: the reference returned then has an empty name.
/// Records the chosen name in `host` under `key`, so the resolved pipeline writes it back.
/// `schema_of` gives the schema to validate a name's options against (default: the
/// component's own); it may accept names the registry lacks ("auto").
struct ComponentChoice {
  std::string key;
  std::string kind;
  std::string default_name;
  std::string none;
};
ComponentRef read_component_choice(
    const toml::table& table, const std::string& path, const ComponentChoice& choice,
    const Registry& registry, const std::string& file, Config& host,
    const std::function<OptionSchema(const std::string& name, const SourcePosition& where,
                                     const std::string& key)>& schema_of = {});

/// A key listing components of one kind by name (an evaluate stage's `suites`, an offload
/// stage's `policies`), each with its options in the stage's table of the same name.
struct ComponentList {
  std::string key;   ///< "suites"
  std::string kind;  ///< "evaluator"
  std::string noun;  ///< "suite", for messages
  /// Names the stage kind implements itself ("clean"): allowed, and not looked up.
  std::vector<std::string> builtins;
  /// Names read as if written when the table has no `key` (the schema's default).
  std::vector<std::string> defaults;
};

/// The components `table[list.key]` names (list.defaults when absent), in order, with their
/// validated option tables; the builtins are skipped. Throws ConfigError at the name for an unknown
/// or repeated one (with did-you-mean) and at the options for a table of the wrong type.
std::vector<ComponentRef> read_component_list(const toml::table& table, const std::string& path,
                                              const ComponentList& list, const Registry& registry,
                                              const std::string& file);

/// An evaluate stage's `suites`: "clean" is the host's own; every other name is an evaluator
/// whose options are the stage's table of the same name.
std::vector<ComponentRef> read_evaluators(const toml::table& table, const std::string& path,
                                          const Registry& registry, const std::string& file);

/// Writes `config` as `key = value` lines, skipping the names in `skip`.
void write_config(std::ostream& out, const Config& config,
                  const std::vector<std::string>& skip = {});

/// Writes a component chosen by read_component_choice as a `[<table>]` sub-table with its name
/// and every option, defaults included; nothing when `ref` names no component. Returns whether
/// it wrote the table (the caller then leaves the key out of the stage's own lines).
bool write_component_table(std::ostream& out, const std::string& table, const ComponentRef& ref);

}  // namespace gear::host
