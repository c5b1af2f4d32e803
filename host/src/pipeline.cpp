#include "gear/host/pipeline.h"

#include <fstream>
#include <sstream>

#include "gear/host/host_schemas.h"
#include "gear/host/stage_plan.h"
#include "gear/host/text_match.h"
#include "gear/host/toml_config.h"

namespace gear::host {
namespace {

const std::vector<std::string> kTopLevel = {"run", "data", "model", "stage"};

const toml::table& table_at(const toml::table& root, const std::string& key,
                            const std::string& file) {
  static const toml::table kEmpty;
  const toml::node* node = root.get(key);
  if (!node) return kEmpty;
  if (!node->is_table())
    throw ConfigError(position_of(*node, file), key, "expected a table [" + key + "]");
  return *node->as_table();
}

std::string string_key(const toml::table& table, const std::string& key, const std::string& def,
                       const std::string& path, const std::string& file) {
  const toml::node* node = table.get(key);
  if (!node) return def;
  if (!node->is_string())
    throw ConfigError(position_of(*node, file), path + "." + key, "expected a string");
  return *node->value<std::string>();
}

// The table of a plugin-backed section: the plugin's options plus the host's (host keys win).
ComponentRef component_section(const toml::table& table, const std::string& path,
                               const std::string& plugin_key, const std::string& default_plugin,
                               ComponentKind kind, const OptionSchema& host_schema,
                               const Registry& registry, const std::string& file, Config* host,
                               const std::vector<std::string>& skip = {}) {
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

// A stage's `augmentation`: "none", a plugin name, or a table {name = ..., options...}. Records
// the name in `host` (the stage's own keys) so the resolved pipeline writes it back.
ComponentRef read_augmentation(const toml::table& table, const std::string& path,
                               const Registry& registry, const std::string& file, Config& host) {
  const toml::node* aug = table.get("augmentation");
  const std::string aug_path = path + ".augmentation";
  ComponentRef ref;
  if (aug && aug->is_string()) {
    const std::string name = *aug->value<std::string>();
    if (name != "none") {
      const auto& entry =
          registry.require(ComponentKind::kAugmentation, name, position_of(*aug, file), aug_path);
      ref = {name, config_from_table(toml::table{}, aug_path, entry.info.schema, file)};
    }
  } else if (aug && aug->is_table()) {
    const toml::table& aug_table = *aug->as_table();
    const std::string name = string_key(aug_table, "name", "", aug_path, file);
    if (name.empty())
      throw ConfigError(position_of(*aug, file), aug_path + ".name",
                        "an augmentation table needs name = \"...\"");
    const auto& entry = registry.require(ComponentKind::kAugmentation, name,
                                         position_of(*aug_table.get("name"), file),
                                         aug_path + ".name");
    ref = {name, config_from_table(aug_table, aug_path, entry.info.schema, file, {"name"})};
  } else if (aug) {
    throw ConfigError(position_of(*aug, file), aug_path,
                      "expected a plugin name or a table {name = ..., ...}");
  }
  host.set("augmentation", Value(ref.name.empty() ? std::string("none") : ref.name),
           aug ? position_of(*aug, file) : SourcePosition{}, aug != nullptr);
  return ref;
}

// An evaluate stage's `suites`: "clean" is the host's own; every other name is an evaluator
// plugin whose options are the table of the same name in the stage.
std::vector<ComponentRef> read_evaluators(const toml::table& table, const std::string& path,
                                          const Registry& registry, const std::string& file) {
  std::vector<ComponentRef> evaluators;
  const toml::node* suites = table.get("suites");
  if (!suites || !suites->is_array()) return evaluators;  // the schema reports a wrong type
  std::vector<std::string> seen;
  for (const auto& item : *suites->as_array()) {
    if (!item.is_string()) continue;
    const std::string name = *item.value<std::string>();
    const SourcePosition where = position_of(item, file);
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      throw ConfigError(where, path + ".suites", "suite '" + name + "' is listed twice");
    seen.push_back(name);
    if (name == "clean") continue;
    const ComponentEntry* entry = registry.find(name);
    if (!entry || entry->info.kind != ComponentKind::kEvaluator) {
      std::vector<std::string> known = registry.names(ComponentKind::kEvaluator);
      known.insert(known.begin(), "clean");
      throw ConfigError(where, path + ".suites",
                        "unknown suite '" + name + "'" + suggestion_text(name, known));
    }
    const std::string suite_path = path + "." + name;
    const toml::node* options = table.get(name);
    if (options && !options->is_table())
      throw ConfigError(position_of(*options, file), suite_path,
                        "options of suite '" + name + "' are a table: " + name + " = { ... }");
    evaluators.push_back(
        {name, config_from_table(options ? *options->as_table() : toml::table{}, suite_path,
                                 entry->info.schema, file)});
  }
  return evaluators;
}

StageSpec read_stage(const toml::node& node, int index, const Registry& registry,
                     const std::string& file) {
  const std::string path = "stage." + std::to_string(index);
  if (!node.is_table())
    throw ConfigError(position_of(node, file), path, "each [[stage]] must be a table");
  const toml::table& table = *node.as_table();
  StageSpec stage;
  stage.index = index;
  stage.where = position_of(table, file);
  // Validate `kind` first: it decides which keys the rest of the table may hold.
  const toml::node* kind_node = table.get("kind");
  if (!kind_node)
    throw ConfigError(stage.where, path + ".kind",
                      "missing required key 'kind'; one of: train, grow, evaluate");
  OptionSchema common = stage_schema("");
  toml::table kind_only;
  kind_only.insert("kind", *kind_node);
  config_from_table(kind_only, path, common, file);
  stage.kind = *kind_node->value<std::string>();

  OptionSchema schema = stage_schema(stage.kind);
  if (stage.kind == "train") {
    stage.options = config_from_table(table, path, schema, file, {"augmentation"});
    stage.augmentation = read_augmentation(table, path, registry, file, stage.options);
  } else if (stage.kind == "grow") {
    Config host;
    stage.component = component_section(table, path, "strategy", "", ComponentKind::kGrowthStrategy,
                                        schema, registry, file, &host, {"augmentation"});
    stage.augmentation = read_augmentation(table, path, registry, file, host);
    stage.component.options = host;
    stage.options = host;
  } else {
    stage.evaluators = read_evaluators(table, path, registry, file);
    std::vector<std::string> suite_tables;
    for (const auto& e : stage.evaluators) suite_tables.push_back(e.name);
    stage.options = config_from_table(table, path, schema, file, suite_tables);
  }
  return stage;
}

void write_config(std::ostringstream& out, const Config& config,
                  const std::vector<std::string>& skip = {}) {
  for (const auto& name : config.names()) {
    if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    out << name << " = " << to_toml(config.value(name)) << "\n";
  }
}

}  // namespace

Pipeline read_pipeline(const std::filesystem::path& file, const std::vector<std::string>& overrides,
                       const Registry& registry) {
  const std::string name = file.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw ConfigError({name, 0, 0}, "", "pipeline file does not exist or is not a file");
  toml::table root;
  try {
    root = toml::parse_file(name);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw ConfigError({name, static_cast<int64_t>(begin.line), static_cast<int64_t>(begin.column)},
                      "", "TOML syntax error: " + std::string(e.description()));
  }
  apply_overrides(root, overrides);

  for (const auto& [key, node] : root) {
    std::string k(key.str());
    if (std::find(kTopLevel.begin(), kTopLevel.end(), k) == kTopLevel.end())
      throw ConfigError(position_of(node, name), k,
                        "unknown top-level key '" + k + "'" + suggestion_text(k, kTopLevel));
  }

  Pipeline pipeline;
  pipeline.file = file;
  pipeline.run = config_from_table(table_at(root, "run", name), "run", run_schema(), name);
  pipeline.dataset =
      component_section(table_at(root, "data", name), "data", "plugin", "fashion-mnist",
                        ComponentKind::kDataset, data_schema(), registry, name, &pipeline.data);
  const toml::table& model = table_at(root, "model", name);
  pipeline.architecture =
      component_section(model, "model", "architecture", "vgg11", ComponentKind::kArchitecture,
                        model_schema(), registry, name, &pipeline.model, {"budget"});
  pipeline.budget = read_budget(model.get("budget"), "model.budget", name);
  if (pipeline.run.get<double>("epoch_scale") <= 0.0)
    pipeline.run.fail("epoch_scale", "must be > 0 (1.0 runs the epochs as written)");

  const toml::node* stages = root.get("stage");
  if (!stages)
    throw ConfigError({name, 0, 0}, "stage", "the pipeline has no [[stage]] tables");
  if (!stages->is_array())
    throw ConfigError(position_of(*stages, name), "stage",
                      "stages are written as [[stage]] tables (an array of tables)");
  int index = 0;
  for (const auto& node : *stages->as_array())
    pipeline.stages.push_back(read_stage(node, index++, registry, name));
  if (pipeline.stages.empty())
    throw ConfigError(position_of(*stages, name), "stage", "the pipeline has no stages");
  // Multi-shot growth couples a grow stage to the train stage after it: check that now, not
  // after hours of training.
  plan_stages(pipeline);
  return pipeline;
}

std::string Pipeline::resolved_toml() const {
  std::ostringstream out;
  out << "# Resolved from " << file.string() << " (overrides applied, defaults written out)\n";
  out << "\n[run]\n";
  write_config(out, run);
  out << "\n[data]\n";
  write_config(out, data);
  out << "\n[model]\n";
  write_config(out, model);
  if (!budget.empty()) out << "budget = " << budget.toml() << "\n";
  for (const auto& stage : stages) {
    out << "\n[[stage]]\n";
    bool table_augmentation = !stage.augmentation.name.empty();
    write_config(out, stage.options, table_augmentation ? std::vector<std::string>{"augmentation"}
                                                        : std::vector<std::string>{});
    if (table_augmentation) {
      out << "[stage.augmentation]\nname = " << to_toml(Value(stage.augmentation.name)) << "\n";
      write_config(out, stage.augmentation.options);
    }
    for (const auto& evaluator : stage.evaluators) {
      out << "[stage." << evaluator.name << "]\n";
      write_config(out, evaluator.options);
    }
  }
  return out.str();
}

}  // namespace gear::host
