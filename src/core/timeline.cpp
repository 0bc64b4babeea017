#include "timeline.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "lifecycle.hpp"
#include "rollover.hpp"
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

// The schedule with this recurring id, nullptr when the wallet has none.
const TimedSchedule* FindSchedule(const TimedWallet& w, std::int64_t id) {
  for (const TimedSchedule& ts : w.schedules) {
    if (ts.schedule.recurring_id == id) return &ts;
  }
  return nullptr;
}

// The ids of the blocks a catch-up creates: the glue's (nextval), or for a
// read -1, -2, ... (a read writes nothing, so the ids are never seen).
class NewIds {
 public:
  explicit NewIds(const TimedWallet& w) : next_(w.new_grant_id) {}
  std::int64_t Next() { return next_ ? next_() : --local_; }

 private:
  std::function<std::int64_t()> next_;
  std::int64_t local_ = 0;
};

Due NextDue(const TimedWallet& w, Micros now, std::optional<Micros> since,
            const std::set<std::int64_t>& early_done) {
  Due due;
  for (const TimedSchedule& ts : w.schedules) {
    const Micros start = NextPeriodStart(ts.schedule, *ts.calendar);
    if (start <= now) {
      due.Offer(start, HappeningKind::kPeriodStart, ts.schedule.recurring_id);
    }
  }
  for (const Hold& h : w.holds) {
    if (h.status == HoldStatus::kHeld && h.expires_at <= now) {
      due.Offer(h.expires_at, HappeningKind::kHoldTimeout, h.hold_id);
    }
  }
  for (const Block& b : w.blocks) {
    if (CanLapse(b) && b.row.expires_at <= now) {
      due.Offer(b.row.expires_at, HappeningKind::kLapse, b.row.grant_id);
    }
    const bool enters =
        AwaitsEntry(b) ||
        (EnteredEarly(b, since) && early_done.count(b.row.grant_id) == 0);
    if (enters && b.row.effective_at <= now) {
      due.Offer(b.row.effective_at, HappeningKind::kTakeEffect, b.row.grant_id);
    }
  }
  return due;
}

void Remember(std::vector<std::int64_t>& ids, std::int64_t id) {
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

// A block as the catch-up keeps it, from the row a core planner returned.
Block NewBlock(const NewGrant& g, const std::string& kind, bool entered,
               std::int64_t recurring_id, std::int64_t period) {
  Block b;
  static_cast<GrantTerms&>(b.row) = g;
  b.row.expires_at = g.expires_at.value_or(kNever);
  b.entered = entered;
  b.kind = kind;
  b.recurring_id = recurring_id;
  b.period = period;
  return b;
}

void HoldTimesOut(const Due& due, WalletWork& work, CatchUpPlan& plan) {
  Hold& hold = *work.FindHold(due.id);
  hold.status = HoldStatus::kExpired;
  hold.closed_at = due.at;
  work.TouchHold(hold.hold_id);
  const std::vector<Reservation> parts = hold.reserved;
  if (work.ReturnReserved(parts, due.at, due.at)) {
    work.RepayDebt(due.at, due.at);
  }
  plan.expired_holds.push_back(due.id);
}

// The rollover terms of a lapsing block (nullopt: it all expires).
std::optional<RolloverTerms> TermsOf(const TimedWallet& w, const Block& b,
                                     Micros at) {
  if (!b.recurring_id) return std::nullopt;
  const TimedSchedule* ts = FindSchedule(w, *b.recurring_id);
  if (ts == nullptr) return std::nullopt;
  return RolloverTermsFor(ts->schedule, b.period, b.kind, at, *ts->calendar);
}

// A block lapses: up to its schedule's rollover_max of its free credit moves
// into a new block (a pair of rollover entries), the rest expires.
void Lapse(const Due& due, WalletWork& work, CatchUpPlan& plan, NewIds& ids) {
  Block& b = work.GetBlock(due.id);
  const std::optional<RolloverTerms> terms = TermsOf(work.wallet(), b, due.at);
  plan.lapsed_blocks.push_back(due.id);
  work.TouchBlock(due.id);
  if (!terms) {
    ExpiryPlan expiry = PlanExpiry(b.row, due.at);
    work.Append(std::move(expiry.draft));
    b.row = std::move(expiry.grant);
    return;
  }
  LapsePlan lapse = PlanLapse(b.row, due.at, terms, ids.Next());
  b.row = lapse.lapsed;
  const std::int64_t recurring_id = *b.recurring_id;
  const std::int64_t period = b.period;
  for (EntryDraft& d : lapse.drafts) work.Append(std::move(d));
  if (!lapse.block) return;
  const NewGrant& g = *lapse.block;
  work.edit().blocks.push_back(
      NewBlock(g, "rollover", true, recurring_id, period));
  work.TouchBlock(g.grant_id);
  plan.created_blocks.push_back(
      CreatedBlock{g, recurring_id, period, due.id, lapse.rolled});
  plan.rollovers.push_back(
      Rollover{due.id, g.grant_id, lapse.rolled, terms->expires_at});
}

// A recurring period starts: its block is issued, to enter the ledger at
// the kTakeEffect due at the same instant.
void StartPeriod(const Due& due, WalletWork& work, CatchUpPlan& plan,
                 NewIds& ids) {
  TimedSchedule* ts = nullptr;
  for (TimedSchedule& x : work.edit().schedules) {
    if (x.schedule.recurring_id == due.id) ts = &x;
  }
  const PeriodBlock p = IssuePeriod(ts->schedule, ts->schedule.last_period + 1,
                                    *ts->calendar, ids.Next());
  ts->schedule = p.schedule;
  work.edit().blocks.push_back(
      NewBlock(p.grant, "recurring", false, p.recurring_id, p.period));
  work.TouchBlock(p.grant.grant_id);
  plan.created_blocks.push_back(
      CreatedBlock{p.grant, p.recurring_id, p.period, std::nullopt, 0});
  Remember(plan.changed_schedules, due.id);
}

void TakeEffect(const Due& due, WalletWork& work, CatchUpPlan& plan,
                std::set<std::int64_t>& early_done) {
  Block& b = work.GetBlock(due.id);
  if (b.entered) {
    early_done.insert(due.id);  // its grant entry is 1.1's
  } else {
    EntryDraft opening = BlockEntry(b.row, EntryType::kGrant, b.row.remaining);
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
}

// Applies one due happening to the wallet being caught up.
void ApplyDue(const Due& due, WalletWork& work, CatchUpPlan& plan,
              std::set<std::int64_t>& early_done, NewIds& ids) {
  switch (due.kind) {
  case HappeningKind::kHoldTimeout:
    HoldTimesOut(due, work, plan);
    break;
  case HappeningKind::kLapse:
    Lapse(due, work, plan, ids);
    break;
  case HappeningKind::kPeriodStart:
    StartPeriod(due, work, plan, ids);
    break;
  case HappeningKind::kTakeEffect:
    TakeEffect(due, work, plan, early_done);
    break;
  }
}
}  // namespace

CatchUpPlan PlanCatchUp(const TimedWallet& wallet, Micros now,
                        std::optional<Micros> since) {
  CatchUpPlan plan;
  WalletWork work(wallet);
  NewIds ids(wallet);
  std::set<std::int64_t> early_done;
  std::int64_t periods = 0;
  std::optional<Micros> capped;  // the instant the period budget ran out
  for (;;) {
    const Due due = NextDue(work.wallet(), now, since, early_done);
    if (!due.found || (capped && due.at > *capped)) break;
    if (due.kind == HappeningKind::kPeriodStart &&
        ++periods == kMaxPeriodsPerCatchUp) {
      capped = due.at;
    }
    Happening h;
    h.kind = due.kind;
    h.at = due.at;
    h.id = due.id;
    const std::size_t first = work.drafts().size();
    ApplyDue(due, work, plan, early_done, ids);
    h.balance_after = work.wallet().balance;
    h.drafts.assign(work.drafts().begin() + first, work.drafts().end());
    plan.happenings.push_back(std::move(h));
  }
  plan.change = std::move(work).Finish();
  plan.next_due_at = NextDueAt(plan.change.wallet, capped.value_or(now));
  return plan;
}

Micros NextDueAt(const TimedWallet& wallet, Micros now) {
  Micros next = kNever;
  for (const TimedSchedule& ts : wallet.schedules) {
    const Micros start = NextPeriodStart(ts.schedule, *ts.calendar);
    if (start > now) next = std::min(next, start);
  }
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
