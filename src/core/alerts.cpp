#include "alerts.hpp"

#include <algorithm>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {

AlertOutcome EvaluateAlerts(const std::vector<std::int64_t>& thresholds,
                            const AlertState& state, std::int64_t balance) {
  AlertOutcome out;
  std::vector<std::int64_t> sorted = thresholds;
  std::sort(sorted.rbegin(), sorted.rend());
  for (std::int64_t t : sorted) {
    const bool was_fired =
        std::find(state.fired.begin(), state.fired.end(), t) != state.fired.end();
    if (balance < t) {
      if (!was_fired) out.usage_low.push_back(t);
      out.next.fired.push_back(t);
    }
  }
  out.next.depleted = balance <= 0;
  out.depleted = out.next.depleted && !state.depleted;
  std::vector<std::int64_t> before = state.fired;
  std::sort(before.rbegin(), before.rend());
  out.changed = before != out.next.fired || state.depleted != out.next.depleted;
  return out;
}

}  // namespace credit_ledger
