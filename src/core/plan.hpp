// Plans for the operations that move credits out of grants: what each grant
// gives, what becomes debt and what the wallet holds afterwards. Pure
// functions of the wallet's state; the glue writes exactly what they return.
#pragma once

#include "drawdown.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace credit_ledger {

// A wallet as the planner needs it: its open grants and its debt.
struct WalletState {
  std::vector<GrantState> grants;
  std::int64_t debt = 0;
  OverdraftPolicy policy;
  int scale = 0;
};

struct ConsumePlan {
  // Overdraft debt repaid first from grants that became spendable since the
  // debt arose (e.g. a scheduled grant that started); usually empty.
  std::vector<Draw> repayments;
  std::vector<Draw> draws;           // the consume itself, in drawdown order
  std::int64_t uncovered = 0;        // what the consume adds to the debt
  std::int64_t spendable_before = 0; // spendable balance (remaining - debt)
  std::int64_t spendable_after = 0;
  std::int64_t debt_after = 0;
  std::vector<std::int64_t> remaining_after;  // per input grant
};

// Repays outstanding debt from the grants spendable at `now` (drawdown
// order), then draws `amount`; throws LG001 when the overdraft policy does not
// admit what remains uncovered. `amount` may be 0 to settle only.
ConsumePlan PlanConsume(const WalletState& wallet, Micros now,
                        std::int64_t amount);

// One usage entry of a consume being reversed: the grant it drew from
// (nullopt for the part that became debt) and the credits it took (> 0).
struct UsagePortion {
  std::optional<std::int64_t> grant_id;
  std::int64_t amount = 0;
};

// Credits a reversal puts back where they came from.
struct Restoration {
  std::optional<std::int64_t> grant_id;  // nullopt: the debt
  std::int64_t amount = 0;
};

// Splits a reversal across the portions of a consume (given in seq order),
// last drawn first, after the `already_reversed` credits earlier reversals
// restored the same way. `amount` nullopt reverses everything left. Throws
// LG006 when nothing is left or more is asked than is left.
std::vector<Restoration> PlanReversal(const std::vector<UsagePortion>& portions,
                                      std::int64_t already_reversed,
                                      std::optional<std::int64_t> amount,
                                      int scale);

// The spendable balance at `now`: spendable remaining credits minus debt.
std::int64_t SpendableBalance(const WalletState& wallet, Micros now);

// The same from the wallet's ledger balance, for a wallet none of whose
// grants can be scheduled at `now` (every effective_at <= now): the ledger
// balance is the open grants' remaining minus the debt, and of those grants
// only the lapsed ones (expires_at <= now, not yet swept) cannot be spent.
// The glue then reads the lapsed grants instead of all the active ones.
std::int64_t SpendableFromLedger(std::int64_t ledger_balance,
                                 std::int64_t lapsed_remaining);

}  // namespace credit_ledger
