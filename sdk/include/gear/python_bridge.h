#pragma once

/// @file
/// The entry point by which the `python:` growth plugin reaches the gear Python module in the
/// same process. The module exports it with C linkage; the plugin finds it with dlsym, so it
/// needs no Python library of its own. A change to the signature is a new version of the
/// symbol, and the plugin names the version it calls.

#include <memory>

#include "gear/config.h"
#include "gear/growth_strategy.h"

/// The symbol's name.
#define GEAR_PYTHON_MAKE_STRATEGY_SYMBOL "gear_python_make_strategy_v1"

extern "C" {
/// Creates the Python growth strategy `options` names (strategy = "python:module.Class", the
/// stage's other keys its constructor's arguments) into `*out`. `options` and `bridge_schema`
/// (the plugin's own keys, not passed to Python) are borrowed for the call; `out` is owned by
/// the caller. Throws gear::ConfigError for a module, class or option that does not fit, and
/// std::runtime_error with the Python traceback for anything the class raises.
typedef void (*GearPythonMakeStrategyV1)(const gear::Config* options,
                                         const gear::OptionSchema* bridge_schema,
                                         std::shared_ptr<gear::GrowthStrategy>* out);
}
