// Balance alerts: credits.balance.usage_low fires once when the spendable
// balance falls below one of the wallet's thresholds, and is re-armed when
// the balance is back at or above it; credits.balance.depleted likewise when
// the balance reaches zero or below. The armed state lives on the wallet, so a
// crossing caused by time (credit lapsing) fires at the next operation.
#pragma once

#include <cstdint>
#include <vector>

namespace credit_ledger {

struct AlertState {
  std::vector<std::int64_t> fired;  // thresholds below which we already alerted
  bool depleted = false;            // depleted already alerted
};

struct AlertOutcome {
  std::vector<std::int64_t> usage_low;  // thresholds crossed now, highest first
  bool depleted = false;                // depletion reached now
  AlertState next;
  bool changed = false;  // next differs from the state given
};

// Compares the spendable balance after an operation with the thresholds and
// the alerts already sent.
AlertOutcome EvaluateAlerts(const std::vector<std::int64_t>& thresholds,
                            const AlertState& state, std::int64_t balance);

}  // namespace credit_ledger
