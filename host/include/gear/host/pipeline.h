#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gear/config.h"
#include "gear/device_profile.h"
#include "gear/host/budget.h"
#include "gear/host/host_schemas.h"
#include "gear/host/registry.h"

namespace gear::host {

/// A plugin named in the pipeline, with its validated options.
struct ComponentRef {
  std::string name;  ///< empty when the pipeline names none (e.g. no augmentation)
  Config options;
};

/// One `[[device]]` table, validated: its steps in order and its precision.
struct DeviceProfileSpec {
  std::string name;
  Precision precision = Precision::kFp32;
  std::string doc;                  ///< its `doc` key: what device it stands for
  bool canonical = false;           ///< a canonicaliser, not a device (DeviceBank::canonical)
  std::vector<ComponentRef> steps;  ///< each a device_step plugin with its options
  SourcePosition where;             ///< the [[device]] table
};

/// A pipeline's profiles. `built_in` marks the default bank, used when the pipeline writes no
/// [[device]] table.
struct DeviceProfiles {
  std::vector<DeviceProfileSpec> profiles;
  bool built_in = false;
};

/// One [[stage]] table, validated.
struct StageSpec {
  int index = 0;
  std::string kind;  ///< a name from stage_kinds() (stage_kind.h)
  Config options;    ///< the host's keys for this kind
  ComponentRef component;     ///< the stage's main plugin (a grow stage's strategy)
  ComponentRef augmentation;  ///< train and grow stages: augmentation of the training batches
                              ///< (name empty: clean batches)
  ComponentRef objective;     ///< train stages: the loss (name "auto" or an objective plugin)
  /// Evaluate stages: the evaluator plugins named in `suites` (all but the built-in "clean"),
  /// in order, each with the options of its table `[stage.<suite>]`.
  std::vector<ComponentRef> evaluators;
  /// Stages a stage runs inside itself (a search stage's retraining), read by their own kinds.
  std::vector<StageSpec> inner;
  SourcePosition where;

  /// "p.toml:12:1 (stage 2)": where errors of the stage's plugins are attributed.
  std::string position() const { return where.str() + " (stage " + std::to_string(index) + ")"; }
};

/// A validated pipeline: every key checked against the host's and the plugins' schemas, with
/// defaults filled in. Nothing has run yet.
struct Pipeline {
  std::filesystem::path file;
  Config run, data, model;
  /// The host's keys of those tables, read once (the Configs keep their positions for messages).
  RunSettings run_settings;
  DataSettings data_settings;
  ModelSettings model_settings;
  ComponentRef dataset, architecture;
  /// [meter]: the power meter's host keys and, unless its plugin is "none", the meter with its
  /// options (name "none": the run is not metered).
  Config meter;
  MeterSettings meter_settings;
  ComponentRef power_meter;
  /// [model] budget: caps on the grown network (empty when the pipeline sets none).
  BudgetSpec budget;
  std::vector<StageSpec> stages;
  /// The [[device]] profiles (or the built-in bank; empty when neither is available).
  DeviceProfiles devices;

  /// The whole pipeline as TOML, after overrides, with every default written out.
  std::string resolved_toml() const;
};

/// Reads, overrides and validates a pipeline file. `overrides` are "dotted.key=value" strings
/// ("stage.0.epochs=1", "data.batch_size=64"). Throws ConfigError (file:line:column, key, what)
/// on any problem; never runs plugin code other than reading schemas from the registry.
Pipeline read_pipeline(const std::filesystem::path& file, const std::vector<std::string>& overrides,
                       const Registry& registry);

}  // namespace gear::host
