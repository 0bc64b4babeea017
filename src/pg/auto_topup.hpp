// Automatic top-up (1.2) in the glue: the one hook every credit-taking
// operation calls after its plan, and what confirming or canceling a top-up
// block does to the wallet. The core decides (src/core/topup.hpp).
#pragma once

#include "events.hpp"
#include "ledger.hpp"

#include <cstdint>
#include <vector>

namespace credit_ledger::pg {

// After the plan of an operation that takes credit (consume, negative
// adjustment, hold, capture, void, a batch event, a catch-up or sweep that
// lapsed blocks): when the core decides the available balance it leaves,
// `available_after`, asks for a top-up (DecideTopup), inserts the pending
// block (kind topup, of operation `operation_id`), marks it pending on the
// wallet with the day's count (saved with the wallet) and appends
// credits.auto_topup.requested to `events`. A replay never gets here.
void RequestTopup(Ledger& ledger, Wallet& wallet, std::int64_t operation_id,
                  Micros now, std::int64_t available_after,
                  std::vector<PendingEvent>& events);

// Confirming or canceling block `grant_id`: when it is the wallet's pending
// top-up, the wallet no longer waits for it, so the next operation below
// the threshold asks again.
void SettleTopup(Wallet& wallet, std::int64_t grant_id);

}  // namespace credit_ledger::pg
