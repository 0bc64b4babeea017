// A grant's end of life: a void (credit_void) and an expiration (the
// credit_expire sweep). Each planner takes the grant as read under its
// wallet's lock and returns the grant's new state and the entry it implies.
#pragma once

#include "drafts.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace credit_ledger {

struct VoidPlan {
  GrantRow grant;                  // as it is to be saved
  std::vector<EntryDraft> drafts;  // one void entry, none for an empty grant
  std::int64_t voided = 0;         // the credits removed
  std::int64_t spendable_after = 0;
};

// Voids `grant` at `now`, the wallet's spendable balance being
// `spendable_before`: LG006 when it is already voided or has expired. A
// scheduled grant's credits never counted as spendable, so voiding it leaves
// the balance as it is.
VoidPlan PlanVoid(const GrantRow& grant, std::int64_t spendable_before,
                  Micros now);

// credit_expire's arguments: 22023 for an as_of after now or a non-positive
// max_grants. Returns the instant the sweep expires up to.
Micros SweepAsOf(std::optional<Micros> as_of, Micros now,
                 std::int32_t max_grants);

// Whether the sweep still expires `grant`, re-read under its wallet's lock,
// at `as_of`: it is open and lapsed by then. False when another transaction
// expired or closed it after the sweep found it.
bool SweepExpires(const GrantRow& grant, Micros as_of);

struct ExpiryPlan {
  GrantRow grant;            // as it is to be saved: closed, remaining 0
  EntryDraft draft;          // the expiration entry
  std::int64_t expired = 0;  // the credits removed
};

// The expiration of a lapsed grant at `now`: its remaining credits leave in
// one entry dated at its expires_at, and the grant closes with remaining 0,
// expired_at now and the credits added to its expired_amount. The spendable
// balance does not change (a lapsed grant is not spendable).
ExpiryPlan PlanExpiry(const GrantRow& grant, Micros now);

}  // namespace credit_ledger
