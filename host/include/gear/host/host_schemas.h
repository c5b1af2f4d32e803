#pragma once

#include "gear/config.h"

namespace gear::host {

/// Options of the [run] table.
OptionSchema run_schema();
/// Host options of the [data] table (the dataset plugin's options join them).
OptionSchema data_schema();
/// Host options of the [model] table (the architecture's options join them).
OptionSchema model_schema();
/// Host options of a [[stage]] of `kind`; "" gives the keys common to all kinds.
OptionSchema stage_schema(const std::string& kind);
/// Stage kinds the host runs.
const std::vector<std::string>& stage_kinds();

}  // namespace gear::host
