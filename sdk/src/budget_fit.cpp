#include "gear/budget_fit.h"

namespace gear {

BudgetFit fit_to_budget(GrowableNet& net, GrowthContext& context, int64_t total,
                        const std::function<void(int64_t)>& apply) {
  apply(total);
  std::string over = context.exceeds_budget(net);
  if (over.empty()) return {total, "gamma"};
  BudgetFit fit{0, over};
  apply(0);
  over = context.exceeds_budget(net);
  if (!over.empty()) return {0, over};
  int64_t lo = 0, hi = total;  // apply(lo) fits, apply(hi) does not
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    apply(mid);
    over = context.exceeds_budget(net);
    if (over.empty()) {
      lo = mid;
    } else {
      hi = mid;
      fit.bound_by = over;
    }
  }
  apply(lo);
  fit.kept = lo;
  return fit;
}

}  // namespace gear
