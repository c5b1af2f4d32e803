#include "gear/host/pipeline.h"

#include <fstream>
#include <sstream>

#include "gear/host/checkpoint.h"
#include "gear/host/device_bank.h"
#include "gear/host/host_schemas.h"
#include "gear/host/stage_kind.h"
#include "gear/host/stage_plan.h"
#include "gear/host/stage_reading.h"
#include "gear/host/text_match.h"
#include "gear/host/toml_config.h"
#include "gear/power_meter.h"

namespace gear::host {
namespace {

const std::vector<std::string> kTopLevel = {"run", "data", "model", "meter", "stage", "device"};

const toml::table& table_at(const toml::table& root, const std::string& key,
                            const std::string& file) {
  static const toml::table kEmpty;
  const toml::node* node = root.get(key);
  if (!node) return kEmpty;
  if (!node->is_table())
    throw ConfigError(position_of(*node, file), key, "expected a table [" + key + "]");
  return *node->as_table();
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
  const std::vector<std::string> kinds = stage_kind_names();
  if (!kind_node) {
    std::string list;
    for (const auto& k : kinds) list += (list.empty() ? "" : ", ") + k;
    throw ConfigError(stage.where, path + ".kind", "missing required key 'kind'; one of: " + list);
  }
  const SourcePosition kind_at = position_of(*kind_node, file);
  if (!kind_node->is_string())
    throw ConfigError(kind_at, path + ".kind", "expected a string: one of the stage kinds");
  stage.kind = *kind_node->value<std::string>();
  if (!find_stage_kind(stage.kind))
    throw ConfigError(
        kind_at, path + ".kind",
        "unknown stage kind '" + stage.kind + "'" + suggestion_text(stage.kind, kinds));
  stage_kind(stage.kind).read(table, {registry, file, path}, stage);
  return stage;
}

// [meter] names a power_meter plugin (default auto) or "none". A pipeline that writes no
// [meter] table runs unmetered where no meter plugin is installed (a host built without
// plugins/meters), rather than failing on a table it never wrote.
void read_meter(const toml::table& root, const Registry& registry, const std::string& file,
                Pipeline& pipeline) {
  const toml::table& table = table_at(root, "meter", file);
  const std::string plugin = string_key(table, "plugin", "auto", "meter", file);
  const bool installed = registry.find("auto", ComponentKindOf<PowerMeter>::kName) != nullptr;
  if (plugin == "none" || (!root.contains("meter") && !installed)) {
    pipeline.meter = config_from_table(table, "meter", meter_schema(), file);
    pipeline.meter.set("plugin", Value(std::string("none")), pipeline.meter.where("plugin"),
                       pipeline.meter.given("plugin"));
    pipeline.power_meter = {"none", pipeline.meter};
  } else {
    pipeline.power_meter =
        component_section(table, "meter", "plugin", "auto", ComponentKindOf<PowerMeter>::kName,
                          meter_schema(), registry, file, &pipeline.meter);
  }
  pipeline.meter_settings = meter_binder().read(pipeline.meter);
}

}  // namespace

namespace {

// A run that starts from a checkpoint is checked before anything runs: the file exists, is a
// whole GEAR checkpoint, and holds the pipeline's architecture (the widths come from it).
void check_start_checkpoint(const Pipeline& pipeline) {
  const ModelSettings& settings = pipeline.model_settings;
  if (settings.checkpoint.empty()) return;
  const Config& model = pipeline.model;
  const std::string& file = settings.checkpoint;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    model.fail("checkpoint", "no checkpoint file '" + file + "'");
  for (const char* key : {"widths", "widths_from"})
    if (model.given(key))
      model.fail(key, "the checkpoint '" + file + "' sets the widths; drop model." + key);
  CheckpointMeta meta;
  try {
    meta = read_checkpoint_meta(file);
  } catch (const std::exception& e) {
    model.fail("checkpoint", "'" + file +
                                 "' is not a readable GEAR checkpoint (truncated or "
                                 "not one): " +
                                 e.what());
  }
  if (meta.architecture != pipeline.architecture.name)
    model.fail("checkpoint", "'" + file + "' holds a " + meta.architecture +
                                 " net, not the pipeline's " + pipeline.architecture.name);
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
  pipeline.dataset = component_section(table_at(root, "data", name), "data", "plugin",
                                       "fashion-mnist", ComponentKindOf<Dataset>::kName,
                                       data_schema(), registry, name, &pipeline.data);
  const toml::table& model = table_at(root, "model", name);
  pipeline.architecture = component_section(model, "model", "architecture", "vgg11",
                                            ComponentKindOf<Architecture>::kName, model_schema(),
                                            registry, name, &pipeline.model, {"budget"});
  pipeline.budget = read_budget(model.get("budget"), "model.budget", name);
  pipeline.run_settings = run_binder().read(pipeline.run);
  pipeline.data_settings = data_binder().read(pipeline.data);
  pipeline.model_settings = model_binder().read(pipeline.model);
  read_meter(root, registry, name, pipeline);
  check_start_checkpoint(pipeline);
  pipeline.devices = read_device_profiles(root.get("device"), name, registry);

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
  out << "\n[meter]\n";
  write_config(out, meter);
  for (const auto& stage : stages) {
    out << "\n[[stage]]\n";
    stage_kind(stage.kind).write_resolved(stage, out);
  }
  write_device_profiles(out, devices);
  return out.str();
}

}  // namespace gear::host
