// The ledger keeps up with time (1.2): the wallet model every 1.2 planner
// works on, and the catch-up that brings a wallet's ledger up to now.
//
// The catch-up model, for a newcomer:
//
//  - Time changes a wallet without anyone calling a function: a scheduled
//    block takes effect, a block lapses, a hold times out (and, from issue 14,
//    a recurring period starts and a lapsing block rolls part of itself over).
//    Each of these is a Happening at one instant. The ledger records each one
//    as what happened at that instant: its entries carry occurred_at = the
//    happening's time and balance_after = the ledger balance right after them.
//  - Every write on a wallet first calls PlanCatchUp (under the wallet lock)
//    with the rows it read and `now`, stores what it returns, and only then
//    plans its own change (PlanHold, PlanCapture, PlanWalletConsume, ...) on
//    the caught-up wallet. The sweep calls PlanCatchUp for untouched wallets;
//    reads call it and store nothing, so a timed-out hold already counts as
//    released and a lapsed block as gone for every reader.
//  - Happenings due at one instant apply in a fixed order (DESIGN "1.2
//    details"): holds time out, blocks lapse (and roll over), recurring
//    periods start, blocks take effect; ties by id. A happening that gives
//    credit (a block entering, a timed-out hold returning credit to a live
//    block) repays overdraft debt at once.
//  - A wallet stores next_due_at (NextDueAt): the earliest instant anything is
//    due. While now < next_due_at nothing is due, and the hot path skips the
//    catch-up after one comparison. It may be early (a consume that empties a
//    block does not move it), never late: whatever adds something due (a
//    hold, a new or confirmed block, credit a reversal puts back on a block)
//    lowers it to min(stored, new). Reserved credit counts as credit of its
//    block, so a release or capture never needs to.
//
// How the glue is to call these planners (schema, reads, idempotency,
// events): docs/time-and-holds-glue.md.
//
// Amounts are units at the wallet's scale. A block's `remaining` is what no
// active hold reserves: its entries sum to remaining + what holds reserve
// from it (a block not yet entered has no entries). The ledger balance is
// the sum of the wallet's entries; held is the sum of the active holds; the
// available balance is ledger balance - held.
#pragma once

#include "calendar.hpp"
#include "drafts.hpp"
#include "drawdown.hpp"
#include "grant.hpp"
#include "plan.hpp"
#include "recurring.hpp"
#include "time.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// A credit block as the 1.2 planners see it: the stored row plus whether its
// opening entry is in the ledger and whether it waits for payment.
struct Block {
  GrantRow row;
  bool entered = true;    // its grant entry is written
  bool pending = false;   // waits for credit_grant_confirm
  bool canceled = false;  // credit_grant_cancel closed it
  std::int64_t held = 0;  // what active holds reserve from it
  // Issue 14: the row's kind ('grant', 'recurring', 'rollover', ...) and,
  // for a block a schedule issued (or rolled over from one), the schedule
  // and its period: a lapsing 'recurring' block may roll over.
  std::string kind = "grant";
  std::optional<std::int64_t> recurring_id;
  std::int64_t period = 0;
};

// Issue 14: a recurring schedule of the wallet and its calendar (the
// schedule's time zone; the glue's PgCalendar).
struct TimedSchedule {
  RecurringSchedule schedule;
  std::shared_ptr<const Calendar> calendar;
};

// Part of a hold: credits reserved from one block, or (grant_id nullopt)
// reserved against the wallet's overdraft allowance.
struct Reservation {
  std::optional<std::int64_t> grant_id;
  std::int64_t amount = 0;
};

enum class HoldStatus { kHeld, kCaptured, kReleased, kExpired };

// A hold (credit_ledger.holds) and what it reserves, in the drawdown order
// of its creation, the overdraft part (if any) last.
struct Hold {
  std::int64_t hold_id = 0;
  std::int64_t amount = 0;
  std::int64_t captured = 0;
  std::vector<Reservation> reserved;
  Micros expires_at = kNever;
  HoldStatus status = HoldStatus::kHeld;
  std::optional<Micros> closed_at;

  // Reserves while held and now < expires_at.
  bool ActiveAt(Micros now) const {
    return status == HoldStatus::kHeld && now < expires_at;
  }
  // The part reserved against the overdraft allowance.
  std::int64_t Overdraft() const;
};

// A wallet as an operation read it under its lock: the cached ledger
// balance and debt, the policy, the blocks that are open or not yet entered
// (plus any block an active hold reserves from, open or not) and the active
// holds (status kHeld, deadline passed or not).
struct TimedWallet {
  std::int64_t balance = 0;  // the ledger balance, the sum of its entries
  std::int64_t debt = 0;
  OverdraftPolicy policy;
  int scale = 0;
  std::vector<Block> blocks;
  std::vector<Hold> holds;
  // Issue 14: the schedules still issuing periods, and those whose blocks
  // may still lapse (for their rollover terms).
  std::vector<TimedSchedule> schedules;
  // The id of a block the catch-up creates (a period's, a rollover's); when
  // empty (reads, which write nothing) the catch-up numbers them -1, -2, ...
  std::function<std::int64_t()> new_grant_id;
  DrawdownPolicy order = DrawdownPolicy::kExpiryFirst;  // drawdown_order
};

// The kinds of happening, in their order at one instant.
enum class HappeningKind {
  kHoldTimeout,  // a hold's deadline came: its credit goes back
  kLapse,        // a block's expires_at came: its free credit leaves,
                 // part of it rolling over for a recurring block
  kPeriodStart,  // a recurring period starts: its block is issued (id: the
                 // recurring id), entering at the kTakeEffect that follows
  kTakeEffect,   // a block's effective_at came: it enters the ledger
};

// One happening the catch-up applied, with the entries it wrote (in order,
// all with occurred_at = at) and the ledger balance after the last of them
// (the balance before it when it wrote none).
struct Happening {
  HappeningKind kind = HappeningKind::kHoldTimeout;
  Micros at = 0;
  std::int64_t id = 0;  // the hold's or the block's
  std::vector<EntryDraft> drafts;
  std::int64_t balance_after = 0;
};

// What a planner returns: the wallet as it is to be saved, the entries to
// append in order, and which rows changed.
struct WalletChange {
  TimedWallet wallet;
  std::vector<EntryDraft> drafts;
  std::vector<std::int64_t> changed_blocks;  // grant ids, first change order
  std::vector<std::int64_t> changed_holds;   // hold ids, likewise
};

// A planner's change with the available balance it leaves (the `balance`
// the call returns).
struct WalletOutcome {
  WalletChange change;
  std::int64_t available_after = 0;
};

// A block the catch-up created (issue 14): a period's block (kind
// 'recurring', not entered when created: its kTakeEffect enters it) or a
// rollover block (kind 'rollover', opened by its + rollover entry). The glue
// inserts `grant` and then saves the block's planned state like any other
// changed block.
struct CreatedBlock {
  NewGrant grant;
  std::int64_t recurring_id = 0;
  std::int64_t period = 0;
  std::optional<std::int64_t> rolled_from_grant_id;
  std::int64_t rolled_over_amount = 0;  // what rolled into it
};

// A rollover at a lapse: `amount` moved from block `from` to block `to`,
// which expires at `expires_at` (credits.rolled_over).
struct Rollover {
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::int64_t amount = 0;
  Micros expires_at = kNever;
};

struct CatchUpPlan {
  WalletChange change;
  std::vector<CreatedBlock> created_blocks;     // in creation order
  std::vector<Rollover> rollovers;              // credits.rolled_over
  std::vector<std::int64_t> changed_schedules;  // recurring ids
  std::vector<Happening> happenings;            // in the order applied
  std::vector<std::int64_t> expired_holds;      // credits.hold.expired
  std::vector<std::int64_t> entered_blocks;     // credits.granted
  std::vector<std::int64_t> lapsed_blocks;  // blocks that lapsed with credit
  Micros next_due_at = kNever;              // after the catch-up
};

// Applies every happening due at or before `now` in time order. `since` is
// the wallet's stored next_due_at before this catch-up (nullopt: unknown):
// a block entered under 1.1 while still scheduled has its grant entry
// already, so its taking effect writes no entry, only repays debt - and only
// if effective_at >= since (earlier ones were handled by an earlier
// catch-up).
// One catch-up issues at most kMaxPeriodsPerCatchUp recurring periods (a
// '1 second' schedule that started long ago would otherwise issue millions
// in one write): at the instant of the last one it applies the rest of that
// instant and stops. next_due_at is then the next instant due, in the past,
// so the next write or sweep goes on from there.
CatchUpPlan PlanCatchUp(const TimedWallet& wallet, Micros now,
                        std::optional<Micros> since = std::nullopt);
constexpr std::int64_t kMaxPeriodsPerCatchUp = 1000;

// The earliest instant after `now` at which anything is due: a block that
// has not entered takes effect (effective_at), a block holding credit, free
// or reserved, lapses (expires_at), an active hold times out (expires_at);
// kNever if nothing. Also counts blocks entered under 1.1 that are not
// effective yet.
Micros NextDueAt(const TimedWallet& wallet, Micros now);

// Sum of the active holds at `now` (the wallet's `held`).
std::int64_t HeldAt(const TimedWallet& wallet, Micros now);

// The available balance of a caught-up wallet at `now`: the free credit of
// its spendable blocks, minus the debt, minus what holds reserve against the
// overdraft allowance. It equals balance - held, except while a block
// entered under 1.1 before its effective_at is still scheduled (its credit
// is in the ledger balance but cannot be spent yet).
std::int64_t AvailableBalance(const TimedWallet& wallet, Micros now);

// A hold's deadline: now + timeout, the timeout more than zero and at most
// 31 days (22023 otherwise).
Micros HoldExpiresAt(Micros now, Micros timeout);

constexpr Micros kMaxHoldTimeout = 31 * kMicrosPerDay;

}  // namespace credit_ledger
