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
  // The wallet's drawdown_order (1.2); every plan draws in it.
  DrawdownPolicy order = DrawdownPolicy::kExpiryFirst;
};

struct ConsumePlan {
  // Overdraft debt repaid first from grants that became spendable since the
  // debt arose (e.g. a scheduled grant that started); usually empty.
  std::vector<Draw> repayments;
  std::vector<Draw> draws;            // the consume itself, in drawdown order
  std::int64_t uncovered = 0;         // what the consume adds to the debt
  std::int64_t spendable_before = 0;  // spendable balance (remaining - debt)
  std::int64_t spendable_after = 0;
  std::int64_t debt_after = 0;
  std::vector<std::int64_t> remaining_after;  // per input grant
  // The grants the plan empties (they had credits and have none after), as
  // indices into the input in the order they were drawn: the ones
  // credits.grant.depleted announces, in that order.
  std::vector<std::size_t> emptied;
};

// Repays outstanding debt from the grants spendable at `now` (drawdown
// order), then draws `amount`; throws LG001 when the overdraft policy does not
// admit what remains uncovered. `amount` may be 0 to settle only.
ConsumePlan PlanConsume(const WalletState& wallet, Micros now,
                        std::int64_t amount);

// Plans a wallet's consumes one after another (credit_consume_batch applies
// many events to one wallet): Plan returns what PlanConsume would return on
// the state the plans applied so far left (remaining_after aside, which it
// leaves empty), at the cost of what it draws rather than of how many grants
// the wallet holds. The spendable grants are put in drawdown order once;
// since every plan drains them in that order, those still holding credits
// are always a suffix of it.
class ConsumePlanner {
 public:
  ConsumePlanner(WalletState wallet, Micros now);

  // The next consume's plan; the state does not change. A refusal (LG001,
  // 22003) throws.
  ConsumePlan Plan(std::int64_t amount) const;
  // Applies a plan Plan returned for the current state.
  void Apply(const ConsumePlan& plan);

  // The grants and debt as the plans applied so far left them.
  const WalletState& state() const { return state_; }

 private:
  WalletState state_;
  Micros now_;
  std::vector<std::size_t> order_;  // the spendable grants, drawdown order
  std::size_t next_ = 0;            // the first of order_ with credits
  std::int64_t spendable_ = 0;      // their remaining credits
  bool exact_ = true;  // false when that sum is out of range: then Plan is
                       // PlanConsume itself, which raises as it should
};

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

// credit_balance's as_of: 22023 when it is after `now` (the ledger tells
// past balances, not future ones).
void CheckBalanceAsOf(std::optional<Micros> as_of, Micros now);

}  // namespace credit_ledger
