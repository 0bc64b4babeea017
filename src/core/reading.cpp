#include "reading.hpp"

#include "amount.hpp"
#include "catch_up.hpp"

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {

CaughtUpRead ReadCaughtUp(const TimedWallet& stored, Micros now,
                          std::optional<Micros> since, bool due) {
  CaughtUpRead read;
  if (!due) {
    read.wallet = stored;
    return read;
  }
  CatchUpPlan plan = PlanCatchUp(stored, now, since);
  read.added = static_cast<std::int64_t>(plan.change.drafts.size());
  read.wallet = std::move(plan.change.wallet);
  return read;
}

BlockStatus StatusAt(const Block& block, Micros now) {
  const GrantRow& g = block.row;
  if (block.canceled) return BlockStatus::kCanceled;
  if (g.voided_at) return BlockStatus::kVoided;
  if (block.pending) return BlockStatus::kPending;
  if (g.expired_at || (g.expires_at <= now && g.remaining > 0)) {
    return BlockStatus::kExpired;
  }
  if (g.remaining + block.held == 0) return BlockStatus::kDepleted;
  if (g.effective_at > now) return BlockStatus::kScheduled;
  return BlockStatus::kActive;
}

const char* StatusName(BlockStatus status) {
  switch (status) {
  case BlockStatus::kPending:
    return "pending";
  case BlockStatus::kScheduled:
    return "scheduled";
  case BlockStatus::kActive:
    return "active";
  case BlockStatus::kDepleted:
    return "depleted";
  case BlockStatus::kExpired:
    return "expired";
  case BlockStatus::kVoided:
    return "voided";
  case BlockStatus::kCanceled:
    return "canceled";
  }
  return "active";
}

WalletReading SummarizeWallet(const TimedWallet& caught_up, Micros now) {
  constexpr Micros kThirtyDays = 30 * kMicrosPerDay;
  WalletReading r;
  r.available = AvailableBalance(caught_up, now);
  r.debt = caught_up.debt;
  r.ledger_balance = caught_up.balance;
  r.held = HeldAt(caught_up, now);
  for (const Block& b : caught_up.blocks) {
    if (!IsBlockOpen(b)) continue;
    const GrantRow& g = b.row;
    if (b.pending) {
      r.pending = AddUnits(r.pending, g.amount);
    } else if (g.effective_at > now) {
      r.scheduled = AddUnits(r.scheduled, g.remaining);
    } else if (g.expires_at > now && g.expires_at - now <= kThirtyDays) {
      r.expiring_30d = AddUnits(r.expiring_30d, g.remaining);
    }
  }
  return r;
}

}  // namespace credit_ledger
