#pragma once

/// @file
/// The entry points by which the `python:` bridge plugin (growth strategies and pruners) reaches
/// the gear Python module in the same process. The module exports them with C linkage; the
/// plugin finds them with dlsym, so it needs no Python library of its own. A change to the
/// signature is a new version of the symbol, and the plugin names the version it calls.

#include <memory>

#include "gear/config.h"
#include "gear/growth_strategy.h"
#include "gear/pruner.h"

/// The symbols' names.
#define GEAR_PYTHON_MAKE_STRATEGY_SYMBOL "gear_python_make_strategy_v1"
#define GEAR_PYTHON_MAKE_PRUNER_SYMBOL "gear_python_make_pruner_v1"

extern "C" {
/// Creates the Python growth strategy `options` names (strategy = "python:module.Class", the
/// stage's other keys its constructor's arguments) into `*out`. `options` and `bridge_schema`
/// (the plugin's own keys, not passed to Python) are borrowed for the call; `out` is owned by
/// the caller. Throws gear::ConfigError for a module, class or option that does not fit, and
/// std::runtime_error with the Python traceback for anything the class raises.
typedef void (*GearPythonMakeStrategyV1)(const gear::Config* options,
                                         const gear::OptionSchema* bridge_schema,
                                         std::shared_ptr<gear::GrowthStrategy>* out);
/// Creates the Python pruner `options` names (pruner = "python:module.Class", the stage's other
/// keys its constructor's arguments) into `*out`, with the same ownership and errors as
/// GearPythonMakeStrategyV1.
typedef void (*GearPythonMakePrunerV1)(const gear::Config* options,
                                       const gear::OptionSchema* bridge_schema,
                                       std::shared_ptr<gear::Pruner>* out);
}
