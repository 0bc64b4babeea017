// The lapse of a recurring block with rollover (1.2): up to rollover_max of
// its free credit moves into a new block, the rest expires. This is the
// function the catch-up's lapse happening calls (PlanCatchUp, kLapse: see
// timeline.hpp on the time branch) in place of the bare expiration: it
// returns the lapsed block, the new block and the entries in their order.
#pragma once

#include "drafts.hpp"
#include "events.hpp"
#include "grant.hpp"
#include "recurring.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// How a lapsing block rolls over: at most `max` credits, into a block
// expiring at `expires_at`.
struct RolloverTerms {
  std::int64_t max = 0;
  Micros expires_at = kNever;
};

// The rollover terms of period k's block of schedule `s`, lapsing at `at`:
// nullopt when the schedule has no rollover (rollover_max 0 or no
// expire_after), when the block is itself a rollover block (kind
// 'rollover': rolled-over credit does not roll again), or when the new
// block would expire at or before the lapse (a block whose expiry
// credit_grant_update moved late). The new block expires at
// starts_at + k x every + 2 x expire_after: PeriodStart(k) plus twice
// expire_after, by the schedule's calendar (DESIGN "1.2 details").
std::optional<RolloverTerms> RolloverTermsFor(const RecurringSchedule& s,
                                              std::int64_t k,
                                              const std::string& block_kind,
                                              Micros at,
                                              const Calendar& calendar);

struct LapsePlan {
  GrantRow lapsed;                // remaining 0, expired_at = at
  std::optional<NewGrant> block;  // the rollover block, if credit rolled
  std::int64_t rolled = 0;        // credits moved to `block`
  std::int64_t expired = 0;       // credits that really expired (breakage)
  // In order, all dated at `at`: rollover (- on the lapsed block), rollover
  // (+ opening the new block), expiration (- the rest). Each only if > 0.
  std::vector<EntryDraft> drafts;
};

// The lapse at `at` of `block` whose free (unreserved) credit is its
// `remaining`: credit holds still reserve is not in it, so it neither rolls
// over nor expires here (it leaves when its hold gives it back). With
// `terms`, min(remaining, max) becomes block `new_grant_id` (kind
// 'rollover', the lapsing block's promotional flag, priority and cost
// basis, effective at `at`, its source_id naming the block it came from);
// the rest expires. Without terms it all expires.
LapsePlan PlanLapse(const GrantRow& block, Micros at,
                    const std::optional<RolloverTerms>& terms,
                    std::int64_t new_grant_id);

// credits.rolled_over: from_grant_id (the lapsed block), grant_id (the new
// one), amount, expires_at (the new block's) and the balance after.
PendingEvent RolledOverEvent(const EventSubject& subject, const LapsePlan& plan,
                             std::int64_t balance);

}  // namespace credit_ledger
