#include "alerts.hpp"

#include "amount.hpp"
#include "error.hpp"

#include <algorithm>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {

AlertOutcome EvaluateAlerts(const std::vector<std::int64_t>& thresholds,
                            const AlertState& state, std::int64_t balance) {
  AlertOutcome out;
  std::vector<std::int64_t> sorted = thresholds;
  std::sort(sorted.rbegin(), sorted.rend());
  for (std::int64_t t : sorted) {
    const bool was_fired = std::find(state.fired.begin(), state.fired.end(),
                                     t) != state.fired.end();
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

WalletConfig
ParseWalletConfig(const std::optional<std::string>& overdraft_limit,
                  const std::vector<std::string>& thresholds, int scale) {
  WalletConfig c;
  if (overdraft_limit) {
    c.overdraft_limit = ParseAmount(*overdraft_limit, scale, "overdraft_limit");
    if (*c.overdraft_limit < 0) {
      throw LedgerError(ErrorCode::kInvalidParameter,
                        "overdraft_limit must not be negative",
                        "Use 0 for a hard limit and NULL for no limit.");
    }
  }
  for (const std::string& t : thresholds) {
    const std::int64_t units = ParseAmount(t, scale, "low_balance_thresholds");
    if (units <= 0) {
      throw LedgerError(ErrorCode::kInvalidParameter,
                        "low_balance_thresholds must be positive",
                        "The value given was " + t + ".");
    }
    c.thresholds.push_back(units);
  }
  // Stored highest first, without duplicates: the order they are crossed.
  std::sort(c.thresholds.rbegin(), c.thresholds.rend());
  c.thresholds.erase(std::unique(c.thresholds.begin(), c.thresholds.end()),
                     c.thresholds.end());
  return c;
}

AlertState ConfiguredAlerts(const std::vector<std::int64_t>& thresholds,
                            std::int64_t balance) {
  AlertState all_sent;
  all_sent.fired = thresholds;
  all_sent.depleted = true;
  return EvaluateAlerts(thresholds, all_sent, balance).next;
}

}  // namespace credit_ledger
