#pragma once

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "gear/host/registry.h"

namespace gear::host {

/// Version string of this build of GEAR.
const char* gear_version();

/// The short commit this build was made from, "<sha>-dirty" when tracked files differed from it,
/// "unknown" outside a git checkout. Stamped at build time (cmake/GearGitCommit.cmake).
const char* git_commit();

/// What env.json records: GEAR and SDK versions, commit, toolchain, LibTorch, device, threads,
/// CPU, host name and every plugin seen (with its file, version and fingerprint).
nlohmann::json environment(const Registry& registry, const torch::Device& device, int threads);

}  // namespace gear::host
