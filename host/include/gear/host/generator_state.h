#pragma once

/// @file
/// The process's default random generators (CPU, and each CUDA device's when present): what
/// dropout, weight initialisation and any plugin drawing without its own generator use. A resume
/// point records their states so a resumed run draws what an uninterrupted one would.

#include <torch/torch.h>

#include <map>
#include <string>

namespace gear::host {

/// Copies of the default generators' states by name ("cpu", "cuda:0", ...).
std::map<std::string, torch::Tensor> default_generator_states();

/// Sets the default generators to `states` (names as default_generator_states gives them). A
/// CUDA state with no such device here throws std::runtime_error naming it.
void restore_default_generator_states(const std::map<std::string, torch::Tensor>& states);

}  // namespace gear::host
