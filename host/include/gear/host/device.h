#pragma once

#include <torch/types.h>

#include <string>

#include "gear/errors.h"

namespace gear::host {

/// Resolves "auto" | "cpu" | "cuda" | "cuda:N". Throws ConfigError at `where` when the device
/// does not exist here.
torch::Device resolve_device(const std::string& spec, const SourcePosition& where);

/// A seeded generator for `device` (CPU or CUDA), independent of the global one.
torch::Generator make_generator(const torch::Device& device, uint64_t seed);

}  // namespace gear::host
