// What reads show (1.2): grant_status and wallet_summary compute a wallet's
// state as a write would leave it once caught up to now, without writing.
// The glue reads the rows, calls PlanCatchUp exactly when a write would
// (ReadCaughtUp), and these functions derive every column from the caught-up
// wallet, so a view, credit_balance and the next write cannot disagree, and
// whatever PlanCatchUp learns (recurring periods, rollover) shows in the
// views with no change here.
#pragma once

#include "timeline.hpp"

#include <cstdint>
#include <optional>

namespace credit_ledger {

// A wallet as a reader sees it at `now`: caught up (PlanCatchUp with the
// stored next_due_at as `since`) when `due`, else as stored; `added` is the
// number of entries the catch-up would write.
struct CaughtUpRead {
  TimedWallet wallet;
  std::int64_t added = 0;
};
CaughtUpRead ReadCaughtUp(const TimedWallet& stored, Micros now,
                          std::optional<Micros> since, bool due);

// A block's status in grant_status.
enum class BlockStatus {
  kPending,
  kScheduled,
  kActive,
  kDepleted,
  kExpired,
  kVoided,
  kCanceled
};
// The status of a caught-up block at `now`: canceled, voided, pending,
// expired (it lapsed, or its expiry has come with credit left), depleted
// (nothing left, free or reserved), scheduled (not effective yet), active.
BlockStatus StatusAt(const Block& block, Micros now);
const char* StatusName(BlockStatus status);

// wallet_summary's amounts (units) for a caught-up wallet at `now`.
struct WalletReading {
  std::int64_t available = 0;     // AvailableBalance
  std::int64_t scheduled = 0;     // free credit of blocks not effective yet
  std::int64_t expiring_30d = 0;  // free spendable credit lapsing within 30d
  std::int64_t debt = 0;
  std::int64_t ledger_balance = 0;
  std::int64_t held = 0;     // HeldAt
  std::int64_t pending = 0;  // amount of blocks waiting for payment
};
WalletReading SummarizeWallet(const TimedWallet& caught_up, Micros now);

}  // namespace credit_ledger
