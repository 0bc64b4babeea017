// What the glue needs around PlanCatchUp (timeline.hpp): the 1.2 open flag
// of a block row, the sweep's bounded catch-up, and the events a catch-up
// sends. See docs/time-and-holds-glue.md.
#pragma once

#include "events.hpp"
#include "timeline.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// credit_ledger.grants.open in 1.2: an operation may need the row. An
// entered block with credit, free or reserved, neither voided nor expired;
// or a block not entered yet (scheduled or pending), neither canceled nor
// voided.
constexpr bool IsBlockOpen(std::int64_t remaining, std::int64_t held,
                           bool entered, bool voided, bool expired,
                           bool canceled) {
  return entered ? remaining + held > 0 && !voided && !expired
                 : !canceled && !voided;
}
bool IsBlockOpen(const Block& block);

// The sweep's catch-up of one wallet at `as_of`, lapsing at most
// `max_lapses` blocks (credit_expire's max_grants): PlanCatchUp at as_of
// when it lapses no more; otherwise at the instant before the first lapse
// beyond the budget (which may lapse fewer, when lapses share an instant,
// and none at all: then the wallet waits for a larger budget).
CatchUpPlan PlanSweepCatchUp(const TimedWallet& wallet, Micros as_of,
                             std::optional<Micros> since,
                             std::int64_t max_lapses);

// What a block's row says that Block does not carry: its kind, reason and
// source_id (the glue reads them with the wallet; a block the catch-up
// created has them in plan.created_blocks).
struct BlockLabels {
  std::string kind = "grant";
  std::optional<std::string> reason;
  std::optional<std::string> source_id;
};

// The reason each entry of a catch-up carries (entries.reason), one per
// draft of plan.change.drafts, in order, by the happening that wrote it:
// "hold expired" (a timed-out hold's credit leaving the lapsed or voided
// block it went back to, or repaying debt), "expired" (a lapse, as the 1.1
// sweep writes it), "rolled over" (a lapse's rollover pair); a block taking
// effect (its grant entry and the debt it repays) carries the block's own
// reason (`labels`, or a created block's), as the grant's entries did when
// 1.1 wrote them at its creation, and only a block without one "scheduled
// grant took effect" ("recurring period started" for a recurring period's).
// Throws kInternal if the happenings do not account for every draft.
std::vector<std::string>
CatchUpReasons(const CatchUpPlan& plan,
               const std::map<std::int64_t, BlockLabels>& labels);

// The events of a catch-up, in the order its happenings applied:
// credits.hold.expired (hold_id, amount, expires_at), credits.expired for
// a lapse (as the 1.1 sweep sends it; `value_of(units, cost_basis)` prices
// the credits), credits.granted for a block that entered (`labels`: the
// row's kind, reason and source_id). Each carries the available balance
// right after its happening. `before` is the wallet the catch-up planned
// from.
using ValueOf = std::function<std::optional<std::string>(
    std::int64_t units, const std::optional<std::string>& cost_basis)>;
std::vector<PendingEvent>
CatchUpEvents(const EventSubject& subject, const TimedWallet& before,
              const CatchUpPlan& plan,
              const std::map<std::int64_t, BlockLabels>& labels,
              const ValueOf& value_of);

// credits.hold.expired: a hold timed out.
PendingEvent HoldExpiredEvent(const EventSubject& subject, const Hold& hold,
                              std::int64_t balance);

// credits.granted for a block entering the ledger (at its effective_at, or
// at confirmation).
PendingEvent BlockGrantedEvent(const EventSubject& subject, const Block& block,
                               const BlockLabels& labels, std::int64_t balance);

// credits.grant.canceled: a pending block was canceled (credit_grant_cancel).
PendingEvent GrantCanceledEvent(const EventSubject& subject, const Block& block,
                                const std::optional<std::string>& reason,
                                std::int64_t balance);

// next_due_at after an operation added something due at `due` (a block's
// effective_at or expires_at, a hold's deadline): the earlier of the two.
std::optional<Micros> LowerDueAt(std::optional<Micros> stored, Micros due);

}  // namespace credit_ledger
