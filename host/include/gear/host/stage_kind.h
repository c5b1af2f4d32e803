#pragma once

/// @file
/// Stage kinds: what `kind = "..."` in a [[stage]] table may be. Each kind is one file under
/// host/src/stages/ implementing StageKind, and two lines in stage_kinds.cpp (its declaration
/// and its entry in the table); the
/// pipeline reader, the planner, the runner, `gearhost describe` and the Python module all ask
/// this table, so nothing else names the kinds.

#include <toml++/toml.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "gear/config.h"
#include "gear/host/pipeline.h"
#include "gear/host/registry.h"

namespace gear::host {

struct PlannedStage;
struct RunContext;

/// What a stage kind reads a [[stage]] table with. Borrowed for the call to StageKind::read.
struct StageReadContext {
  const Registry& registry;
  /// The pipeline file, for positions in messages.
  const std::string& file;
  /// The stage's dotted path ("stage.2").
  const std::string& path;
};

/// One kind of pipeline stage. Instances are stateless singletons that live for the process.
class StageKind {
 public:
  virtual ~StageKind() = default;
  /// The `kind` value ("train").
  virtual std::string name() const = 0;
  /// One line for `gearhost describe` and the docs.
  virtual std::string doc() const = 0;
  /// The host's keys of this kind, with the common ones (kind, name) included; the plugins a
  /// stage names add their own.
  virtual OptionSchema schema() const = 0;
  /// What `gearhost describe <kind>` adds below the schema ("the plugin it names adds its own
  /// options"); empty by default.
  virtual std::string describe_note() const { return {}; }
  /// Validates `table` and fills `stage` (whose index, kind and where are set): its options and
  /// the components it names. Throws ConfigError at the offending key.
  virtual void read(const toml::table& table, const StageReadContext& context,
                    StageSpec& stage) const = 0;
  /// Writes the stage's keys and sub-tables after its [[stage]] header in the resolved TOML.
  /// The default writes the stage's options.
  virtual void write_resolved(const StageSpec& stage, std::ostream& out) const;
  /// Appends what runs for pipeline.stages[index] to `plan` and returns how many pipeline
  /// stages it consumed (at least 1: a multi-shot grow stage also takes the train stage after
  /// it). Throws ConfigError for combinations that cannot run. The default appends the stage.
  virtual size_t plan(const Pipeline& pipeline, size_t index,
                      std::vector<PlannedStage>& plan) const;
  /// Called for every stage of the kind before the run loads data: creates the stage's
  /// components once, so one that cannot be created stops the run before hours of training.
  virtual void check(const StageSpec& stage, const Registry& registry) const;
  /// Called for every stage once the run has loaded its data and built its net, before the first
  /// stage runs: for checks that need the data, the class names or the device bank (a cloud net
  /// of another class set), so they fail before hours of training. Nothing by default.
  virtual void check_run(const StageSpec& stage, const RunContext& run) const;
  /// Whether the stage removes channels: the run measures the net's cost before the first such
  /// stage and after the last stage (summary.json's `cost`). False by default.
  virtual bool prunes() const { return false; }
  /// Runs the stage on the run's state (borrowed) and returns its stages.json record; the
  /// runner adds the fields every stage has (index, kind, name, wall_seconds, params, ...).
  virtual nlohmann::json run(const PlannedStage& planned, RunContext& run) const = 0;
};

/// The stage kinds, in the order the docs list them.
const std::vector<const StageKind*>& stage_kinds();
/// Their names, in the same order.
std::vector<std::string> stage_kind_names();
/// The kind named `name`, or nullptr.
const StageKind* find_stage_kind(const std::string& name);
/// The kind named `name`; throws std::logic_error if there is none (a validated stage always
/// has one).
const StageKind& stage_kind(const std::string& name);

/// The keys every stage kind has: `kind` (one of the table's names) and `name`.
OptionSchema common_stage_schema();

}  // namespace gear::host
