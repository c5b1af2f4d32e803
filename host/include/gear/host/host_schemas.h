#pragma once

#include "gear/config.h"

namespace gear::host {

/// Options of the [run] table.
OptionSchema run_schema();
/// Host options of the [data] table (the dataset plugin's options join them).
OptionSchema data_schema();
/// Host options of the [model] table (the architecture's options join them).
OptionSchema model_schema();
// Each stage kind declares its own keys: stage_kind.h.

}  // namespace gear::host
