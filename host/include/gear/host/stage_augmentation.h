#pragma once

#include <memory>

#include "gear/augmentation.h"
#include "gear/host/pipeline.h"
#include "gear/host/registry.h"

namespace gear::host {

/// The augmentation plugin `stage` names, created from `registry` and wrapped so that an
/// exception it throws becomes a PluginError naming the plugin, its library and the stage's place
/// in the pipeline; null when the stage trains on clean batches. `stage` and `registry` are
/// borrowed for the call; the result is owned by the caller and keeps the plugin alive.
std::shared_ptr<Augmentation> stage_augmentation(const StageSpec& stage, const Registry& registry);

}  // namespace gear::host
