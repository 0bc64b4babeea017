// Changing a block (credit_grant_update, 1.2): its expiry (later or earlier)
// or its priority. The change is recorded in the ledger as an `amendment`
// entry of amount 0 whose metadata holds the old and new values, and
// announced as credits.grant.updated.
#pragma once

#include "drafts.hpp"
#include "events.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace credit_ledger {

// The block as credit_grant_update reads it under its wallet's lock.
struct AmendTarget {
  GrantRow row;
  bool entered = true;    // its opening entry is in the ledger
  bool pending = false;   // waits for payment (may be amended)
  bool canceled = false;  // credit_grant_cancel closed it
  std::int64_t held = 0;  // what active holds reserve from it
};

// What to change (nullopt: unchanged; expires_at cannot be removed).
struct GrantUpdate {
  std::optional<Micros> expires_at;
  std::optional<std::int32_t> priority;
};

struct AmendPlan {
  GrantRow row;  // as it is to be saved
  // The amendment entry (amount 0), for a block in the ledger; a block not
  // entered yet (scheduled under 1.2, pending) has no entries, and its
  // change shows in its grant entry's terms and the event.
  std::optional<EntryDraft> draft;
  std::string metadata;                  // its metadata, jsonb's canonical text
  std::optional<Micros> old_expires_at;  // nullopt: never expired
  std::int32_t old_priority = 0;
};

// Plans credit_grant_update at `now`. LG006 for a block that is voided,
// expired (swept), lapsed (expires_at <= now), canceled or depleted (nothing
// left and nothing held); 22023 when nothing changes (both nullopt, or the
// values it has already), for an expires_at not after now or not after the
// block's effective_at, and for a negative priority. The metadata holds
// only what changed: {"priority": {"new": 10, "old": 50}, "expires_at":
// {"new": "...", "old": null}} (null: never).
AmendPlan PlanGrantUpdate(const AmendTarget& target, const GrantUpdate& update,
                          Micros now);

// credits.grant.updated: grant_id, priority and expires_at as they are now,
// and the changes (the amendment's metadata) under "changes".
PendingEvent GrantUpdatedEvent(const EventSubject& subject,
                               const AmendPlan& plan);

}  // namespace credit_ledger
