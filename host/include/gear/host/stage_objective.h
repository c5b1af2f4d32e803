#pragma once

/// @file
/// A train stage's objective: reading `objective = ...` and creating the plugin, attributed.

#include <toml++/toml.h>

#include <memory>
#include <string>

#include "gear/config.h"
#include "gear/host/pipeline.h"
#include "gear/host/registry.h"
#include "gear/host/stage_kind.h"
#include "gear/objective.h"

namespace gear::host {

/// The default objective: `jsd` for batches whose augmentation asks for consistency (several
/// views and a positive weight: augmix, era), `cross_entropy` otherwise; its options are those
/// of both. This is the loss the trainer computed before objectives were plugins.
inline constexpr const char* kAutoObjective = "auto";

/// Reads the stage's `objective` key (a name or a table with options) into a ComponentRef and
/// records the name in `host`. Throws ConfigError at the key for an unknown objective, or for
/// "auto" when cross_entropy or jsd is not loaded. Arguments are borrowed for the call.
ComponentRef read_stage_objective(const toml::table& table, const StageReadContext& context,
                                  Config& host);

/// Creates the objective `stage` names (resolving "auto"), wrapped so that any exception thrown
/// while it computes a loss, including one from the architecture's forward pass it runs, becomes
/// a PluginError naming the objective, its library, the stage and `architecture`. The result is
/// owned by the caller and keeps the plugins alive.
std::shared_ptr<Objective> stage_objective(const StageSpec& stage, const Registry& registry,
                                           const std::string& architecture = "");

}  // namespace gear::host
