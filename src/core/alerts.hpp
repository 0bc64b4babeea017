// Balance alerts: credits.balance.usage_low fires once when the spendable
// balance falls below one of the wallet's thresholds, and is re-armed when
// the balance is back at or above it; credits.balance.depleted likewise when
// the balance reaches zero or below. The armed state lives on the wallet, so a
// crossing caused by time (credit lapsing) fires at the next operation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

// A wallet's policy as credit_wallet_configure sets it, in units.
struct WalletConfig {
  std::optional<std::int64_t> overdraft_limit;  // nullopt: no limit
  std::vector<std::int64_t> thresholds;         // highest first, no duplicates
};

// Reads the configuration's decimals at the credit type's scale: 22023 for a
// negative limit or a threshold that is not positive (or either malformed).
WalletConfig
ParseWalletConfig(const std::optional<std::string>& overdraft_limit,
                  const std::vector<std::string>& thresholds, int scale);

// The alert state right after configuring `thresholds` at a spendable
// `balance`: thresholds the balance is already below count as crossed, so
// alerts fire on the next crossing, not retroactively for the configuration.
AlertState ConfiguredAlerts(const std::vector<std::int64_t>& thresholds,
                            std::int64_t balance);

}  // namespace credit_ledger
