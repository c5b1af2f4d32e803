#pragma once

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "gear/host/registry.h"

namespace gear::host {

/// Version string of this build of GEAR.
const char* gear_version();

/// What env.json records: GEAR and SDK versions, commit, toolchain, LibTorch, device, threads,
/// CPU, host name and every plugin seen (with its file, version and fingerprint).
nlohmann::json environment(const Registry& registry, const torch::Device& device, int threads);

}  // namespace gear::host
