// Holds (two-phase usage) and consumes on a wallet that has holds: the
// planners behind credit_hold, credit_capture, credit_release and the 1.2
// credit_consume (allow_partial). Each takes the wallet as PlanCatchUp left
// it at `now` and returns every row change and entry the call implies.
//
// What a hold reserves: the amount, from the spendable blocks in drawdown
// order, exactly as a consume of that amount would draw them; the part no
// block covers (a soft-limit wallet) is reserved against the overdraft
// allowance: it counts as debt when the policy judges later debts, so the
// limit admits the hold and everything after it together, and a capture of
// the held amount never needs the policy again. A hold is refused (LG001)
// exactly when a consume of the amount would be.
#pragma once

#include "timeline.hpp"

#include <cstdint>
#include <optional>

namespace credit_ledger {

struct HoldPlan : WalletOutcome {
  Hold hold;
};

// Reserves `amount` (> 0, 22023 otherwise) for a new hold `hold_id` that
// times out at `expires_at` (HoldExpiresAt). Debt a wallet still owes while
// it has spendable credit (only after an upgrade) is repaid first, as a
// consume would.
HoldPlan PlanHold(const TimedWallet& wallet, Micros now, std::int64_t amount,
                  std::int64_t hold_id, Micros expires_at);

struct CapturePlan : WalletOutcome {
  std::int64_t captured = 0;  // operation_result.amount
  std::int64_t released = 0;  // what went back (0 for an over-capture)
};

// Captures `amount` (default: the held amount; 22023 unless positive) of
// hold `hold_id`: usage entries on the blocks the hold reserved, in the order
// reserved, whatever became of those blocks since; the overdraft part drawn
// like a consume without the policy (admitted at hold time); the rest
// released (out again at once from lapsed or voided blocks); an excess over
// the hold drawn like a consume, LG001 for the whole capture if the policy
// does not admit it. LG004 for a hold the wallet does not have, LG006 for
// one that is not held (captured, released, expired, or past its deadline).
CapturePlan PlanCapture(const TimedWallet& wallet, Micros now,
                        std::int64_t hold_id,
                        std::optional<std::int64_t> amount);

struct ReleasePlan : WalletOutcome {
  std::int64_t released = 0;  // credit_release's result
};

// Gives a hold's credits back (LG004, LG006 as for a capture); credit back
// on a live block repays debt first.
ReleasePlan PlanRelease(const TimedWallet& wallet, Micros now,
                        std::int64_t hold_id);

struct WalletConsumePlan : WalletOutcome {
  std::int64_t applied = 0;  // operation_result.amount
};

// credit_consume on a caught-up wallet: draws `amount` (> 0) in drawdown
// order; LG001 when the policy, counting what holds reserve against the
// allowance, does not admit the debt. With `allow_partial`, applies
// min(amount, available balance) and never goes into debt; 0 is a result.
WalletConsumePlan PlanWalletConsume(const TimedWallet& wallet, Micros now,
                                    std::int64_t amount, bool allow_partial);

// The policy a new debt is judged by on a wallet whose active holds reserve
// `reserved` against the overdraft allowance: the limit less that (never
// below 0). The hot path passes wallets' cached figure instead of reading
// the holds.
OverdraftPolicy PolicyLessReserved(const OverdraftPolicy& policy,
                                   std::int64_t reserved);

// What an allow_partial consume of `amount` applies at an `available`
// balance: min(amount, available), never below 0.
std::int64_t PartialAmount(std::int64_t amount, std::int64_t available);

// A draw-down (credit_consume: `type` usage; a negative credit_adjust:
// adjustment) of `units` on the wallet's open grants (the hot path): with
// `allow_partial` (consume only), of PartialAmount(units, the
// spendable balance less `reserved_overdraft`, what active holds reserve
// against the allowance), so it never creates debt and may apply 0 (no
// usage entry; the operation still records its amount, 0). Without it,
// PlanDrawDown of `units` with the policy less `reserved_overdraft`.
// Its available_after counts `reserved_overdraft` out.
DrawDownPlan PlanWalletDrawDown(const std::vector<OpenGrant>& grants,
                                WalletState state, Micros now,
                                std::int64_t units, EntryType type,
                                bool allow_partial,
                                std::int64_t reserved_overdraft);

// The same for the next event of a batch: `planner` (built with the policy
// less `reserved_overdraft`) plans `units`, or with `allow_partial` what the
// spendable balance less `reserved_overdraft` covers (`applied`).
struct PartialConsume {
  ConsumePlan plan;
  std::int64_t applied = 0;
  // The available balance after it: plan.spendable_after less
  // `reserved_overdraft` (what the event returns and stores).
  std::int64_t available_after = 0;
};
PartialConsume PlanBatchConsume(const ConsumePlanner& planner,
                                std::int64_t units, bool allow_partial,
                                std::int64_t reserved_overdraft);

// LG004 or LG006 unless hold `hold_id` can be captured or released at
// `now`; returns it.
const Hold& CheckHoldOpen(const TimedWallet& wallet, Micros now,
                          std::int64_t hold_id);

}  // namespace credit_ledger
