// Precompiled header of the host: the LibTorch and library headers most host files need.
#pragma once

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/module.h>
#include <torch/optim.h>
#include <torch/types.h>
#include <toml++/toml.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>
