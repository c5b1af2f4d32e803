// A valid plugin that registers nothing: the loader loads it and warns.
#include "gear/plugin.h"

GEAR_PLUGIN("fixture-empty", "0.1.0", "Registers no component") {}
