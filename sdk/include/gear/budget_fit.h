#pragma once

/// @file
/// Fitting a change to the pipeline's budget: the most of it that keeps the net within the caps.

#include <cstdint>
#include <functional>
#include <string>

#include "gear/export.h"
#include "gear/growable_net.h"
#include "gear/growth_strategy.h"

namespace gear {

/// What fit_to_budget() settled on.
struct BudgetFit {
  int64_t kept = 0;                ///< units kept, of `total`
  std::string bound_by = "gamma";  ///< "gamma" (all fit) or the budget field that limited it
};

/// Finds the largest kept <= total for which `apply(kept)` leaves `net` within `context`'s
/// budget, by binary search (so `apply` must accept any count in any order, and fitting must be
/// monotone in it). Leaves the net in the state apply(result.kept). If even kept = 0 exceeds the
/// budget, returns 0 bound by that field. All arguments are borrowed for the call.
GEAR_EXPORT BudgetFit fit_to_budget(GrowableNet& net, GrowthContext& context, int64_t total,
                                    const std::function<void(int64_t kept)>& apply);

}  // namespace gear
