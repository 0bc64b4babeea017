#include "timeline.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "lifecycle.hpp"
#include "wallet_work.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// A block that can still enter the ledger when its effective_at comes.
bool AwaitsEntry(const Block& b) {
  return !b.entered && !b.pending && !b.canceled && !b.row.voided_at;
}

// An entered block holding credit (free or reserved) that leaves when its
// expires_at comes.
bool MayLapse(const Block& b) {
  return b.entered && !b.pending && !b.canceled && !b.row.voided_at &&
         !b.row.expired_at && b.row.remaining + b.held > 0 &&
         b.row.expires_at != kNever;
}

// One with free credit: its lapse writes an expiration entry. (Reserved
// credit leaves when its hold gives it back.)
bool CanLapse(const Block& b) {
  return MayLapse(b) && b.row.remaining > 0;
}

// A block entered under 1.1 while still scheduled: in the ledger already,
// spendable from its effective_at.
bool EnteredEarly(const Block& b, std::optional<Micros> since) {
  return since && b.entered && !b.pending && !b.canceled && !b.row.voided_at &&
         !b.row.expired_at && b.row.effective_at >= *since;
}

// The next happening due at or before `now`, in the contract's order.
struct Due {
  Micros at = kNever;
  HappeningKind kind = HappeningKind::kTakeEffect;
  std::int64_t id = 0;
  bool found = false;

  void Offer(Micros t, HappeningKind k, std::int64_t i) {
    if (!found || std::make_tuple(t, k, i) < std::make_tuple(at, kind, id)) {
      at = t;
      kind = k;
      id = i;
      found = true;
    }
  }
};

Due NextDue(const TimedWallet& w, Micros now, std::optional<Micros> since,
            const std::set<std::int64_t>& early_done) {
  Due due;
  for (const Hold& h : w.holds) {
    if (h.status == HoldStatus::kHeld && h.expires_at <= now) {
      due.Offer(h.expires_at, HappeningKind::kHoldTimeout, h.hold_id);
    }
  }
  for (const Block& b : w.blocks) {
    if (CanLapse(b) && b.row.expires_at <= now) {
      due.Offer(b.row.expires_at, HappeningKind::kLapse, b.row.grant_id);
    }
    // Issue 14: recurring periods starting at or before now are offered here
    // as HappeningKind::kPeriodStart.
    const bool enters =
        AwaitsEntry(b) ||
        (EnteredEarly(b, since) && early_done.count(b.row.grant_id) == 0);
    if (enters && b.row.effective_at <= now) {
      due.Offer(b.row.effective_at, HappeningKind::kTakeEffect, b.row.grant_id);
    }
  }
  return due;
}

// Applies one due happening to the wallet being caught up.
void ApplyDue(const Due& due, WalletWork& work, CatchUpPlan& plan,
              std::set<std::int64_t>& early_done) {
  switch (due.kind) {
  case HappeningKind::kHoldTimeout: {
    Hold& hold = *work.FindHold(due.id);
    hold.status = HoldStatus::kExpired;
    hold.closed_at = due.at;
    work.TouchHold(hold.hold_id);
    const std::vector<Reservation> parts = hold.reserved;
    if (work.ReturnReserved(parts, due.at, due.at)) {
      work.RepayDebt(due.at, due.at);
    }
    plan.expired_holds.push_back(due.id);
    break;
  }
  case HappeningKind::kLapse: {
    Block& b = work.GetBlock(due.id);
    ExpiryPlan expiry = PlanExpiry(b.row, due.at);
    work.Append(std::move(expiry.draft));
    b.row = std::move(expiry.grant);
    work.TouchBlock(due.id);
    // Issue 14: the rollover of part of the lapsing credit goes here,
    // before the expiration entry, as a pair of rollover entries.
    plan.lapsed_blocks.push_back(due.id);
    break;
  }
  case HappeningKind::kPeriodStart:
    break;
  case HappeningKind::kTakeEffect: {
    Block& b = work.GetBlock(due.id);
    if (b.entered) {
      early_done.insert(due.id);  // its grant entry is 1.1's
    } else {
      EntryDraft opening =
          BlockEntry(b.row, EntryType::kGrant, b.row.remaining);
      opening.occurred_at = due.at;
      b.entered = true;
      // Entered now: not to be taken for one 1.1 entered early (when
      // `since` is its effective_at) and offered again.
      early_done.insert(due.id);
      work.TouchBlock(due.id);
      work.Append(std::move(opening));
      plan.entered_blocks.push_back(due.id);
    }
    work.RepayDebt(due.at, due.at);
    break;
  }
  }
}
}  // namespace

CatchUpPlan PlanCatchUp(const TimedWallet& wallet, Micros now,
                        std::optional<Micros> since) {
  CatchUpPlan plan;
  WalletWork work(wallet);
  std::set<std::int64_t> early_done;
  for (;;) {
    const Due due = NextDue(work.wallet(), now, since, early_done);
    if (!due.found) break;
    Happening h;
    h.kind = due.kind;
    h.at = due.at;
    h.id = due.id;
    const std::size_t first = work.drafts().size();
    ApplyDue(due, work, plan, early_done);
    h.balance_after = work.wallet().balance;
    h.drafts.assign(work.drafts().begin() + first, work.drafts().end());
    plan.happenings.push_back(std::move(h));
  }
  plan.change = std::move(work).Finish();
  plan.next_due_at = NextDueAt(plan.change.wallet, now);
  return plan;
}

Micros NextDueAt(const TimedWallet& wallet, Micros now) {
  Micros next = kNever;
  for (const Hold& h : wallet.holds) {
    if (h.ActiveAt(now)) next = std::min(next, h.expires_at);
  }
  for (const Block& b : wallet.blocks) {
    // Reserved credit counts: a release before the hold's deadline makes it
    // free again, and it must then lapse on time.
    if (MayLapse(b) && b.row.expires_at > now) {
      next = std::min(next, b.row.expires_at);
    }
    const bool early = b.entered && !b.pending && !b.canceled &&
                       !b.row.voided_at && !b.row.expired_at;
    if ((AwaitsEntry(b) || early) && b.row.effective_at > now) {
      next = std::min(next, b.row.effective_at);
    }
  }
  return next;
}

std::int64_t HeldAt(const TimedWallet& wallet, Micros now) {
  std::int64_t held = 0;
  for (const Hold& h : wallet.holds) {
    if (h.ActiveAt(now)) held = AddUnits(held, h.amount, "held");
  }
  return held;
}

std::int64_t AvailableBalance(const TimedWallet& wallet, Micros now) {
  std::int64_t free = 0;
  for (const Block& b : wallet.blocks) {
    if (!b.entered || b.pending || b.canceled) continue;
    const OpenGrant g = b.row.AsOpen();
    if (IsSpendableAt(g.state, now)) free = AddUnits(free, g.state.remaining);
  }
  std::int64_t overdraft = 0;
  for (const Hold& h : wallet.holds) {
    if (h.ActiveAt(now)) overdraft = AddUnits(overdraft, h.Overdraft());
  }
  return SubUnits(SubUnits(free, wallet.debt), overdraft);
}

Micros HoldExpiresAt(Micros now, Micros timeout) {
  if (timeout <= 0 || timeout > kMaxHoldTimeout) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "timeout must be more than zero and at most 31 days",
                      "A hold reserves credits until its timeout passes.");
  }
  return now + timeout;
}

}  // namespace credit_ledger
