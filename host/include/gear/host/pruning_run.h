#pragma once

/// @file
/// What the stage kinds that prune (prune, search) share: reading `target = { params = f }`,
/// and pruning the run's net once with a pruner, recorded the same way.

#include <toml++/toml.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "gear/config.h"
#include "gear/host/pipeline.h"
#include "gear/host/stage_kind.h"
#include "gear/pruner.h"

namespace gear::host {

struct RunContext;

/// Reads the stage's `target` table: exactly one of params, macs or bytes, a fraction in (0, 1)
/// to remove, stored in `host` as target.<measure> (so the resolved TOML reads back). Throws
/// ConfigError at the key; `stage` is where the stage starts, for a missing table.
void read_prune_target(const toml::table& table, const StageReadContext& context,
                       const SourcePosition& stage, Config& host);

/// The measure named `name` ("params", "macs", "bytes"); throws std::invalid_argument.
PruneMeasure measure_named(const std::string& name);

/// The target read_prune_target stored in `options`.
PruneTarget prune_target(const Config& options);

/// Prunes `run.net` with `pruner` (borrowed) to `target`, seeding its draws with `seed`, and
/// returns the record: the pruner, the target, widths before and after per group, channels
/// removed per group, params, MACs and bytes before and after, the fraction of the target's
/// measure freed, what bound the removal and the pruner's own figures. Errors from the pruner
/// come back as PluginError at the stage. Does not checkpoint or rebuild anything.
nlohmann::json prune_net(RunContext& run, Pruner& pruner, const StageSpec& stage,
                         const PruneTarget& target, uint64_t seed);

}  // namespace gear::host
