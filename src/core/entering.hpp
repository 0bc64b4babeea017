// Blocks entering the wallet in 1.2: a new block (entered now, scheduled to
// enter at its effective_at, or pending payment), the confirmation and the
// cancellation of a pending block, and a void that knows blocks which never
// entered. Each planner takes the wallet as PlanCatchUp left it at `now`.
//
// A block writes its grant entry when it enters the ledger: at once when it
// starts now or earlier, at its effective_at through the catch-up when it is
// scheduled, at confirmation (or its later effective_at) when it is pending.
// Credit that enters repays overdraft debt first.
#pragma once

#include "grant.hpp"
#include "lifecycle.hpp"
#include "timeline.hpp"

#include <cstdint>

namespace credit_ledger {

struct NewBlockPlan : WalletOutcome {
  Block block;  // as inserted (reason, source_id, kind: the glue's)
};

// Adds block `grant_id` of `units` asked for by `spec` (22023 as
// BlockEffectiveAt): pending, or scheduled (effective_at after now), it
// enters nothing; otherwise its opening entry (occurred_at = effective_at)
// and the repayment of debt.
NewBlockPlan PlanNewBlock(const TimedWallet& wallet, Micros now,
                          const BlockSpec& spec, std::int64_t units,
                          std::int64_t grant_id, bool pending);

struct ConfirmPlan : WalletOutcome {
  std::int64_t amount = 0;  // operation_result.amount: the block's
  bool entered = false;     // entered now (else at its effective_at)
};

// credit_grant_confirm: LG004 for a block the wallet does not have; LG006
// for one that is canceled, not pending (confirmed twice, or never
// pending), or whose expires_at has come. The block enters now, or at its
// effective_at through the catch-up if that is later.
ConfirmPlan PlanConfirm(const TimedWallet& wallet, Micros now,
                        std::int64_t grant_id);

// credit_grant_cancel: the pending block is closed, nothing entered; LG004
// or LG006 (canceled already, or not pending) otherwise.
WalletChange PlanCancel(const TimedWallet& wallet, std::int64_t grant_id);

struct BlockVoidPlan : WalletOutcome {
  std::int64_t voided = 0;  // credit_void's result
};

// credit_void in 1.2: LG006 for a pending block (cancel it) or a canceled
// one; a block that has not entered writes no entry and returns its amount;
// otherwise PlanVoid (what active holds reserve stays reserved, and leaves
// at once when they give it back).
BlockVoidPlan PlanVoidBlock(const TimedWallet& wallet, Micros now,
                            std::int64_t grant_id);

}  // namespace credit_ledger
