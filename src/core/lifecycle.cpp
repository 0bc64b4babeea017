#include "lifecycle.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "grant.hpp"
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

#include <string>

namespace credit_ledger {
namespace {

EntryDraft OutOf(const GrantRow& grant, EntryType type) {
  EntryDraft e;
  e.type = type;
  e.amount = -grant.remaining;
  e.grant_id = grant.grant_id;
  e.promotional = grant.promotional;
  e.cost_basis = grant.cost_basis;
  return e;
}

}  // namespace

VoidPlan PlanVoid(const GrantRow& grant, std::int64_t spendable_before,
                  Micros now) {
  const std::string id = std::to_string(grant.grant_id);
  if (grant.voided_at) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "grant " + id + " is already voided");
  }
  if (grant.expired_at || grant.expires_at <= now) {
    throw LedgerError(ErrorCode::kInvalidState, "grant " + id + " has expired",
                      "Its remaining credits lapsed at its expires_at; the "
                      "expiration sweep removes them, a void cannot.");
  }
  VoidPlan p;
  p.voided = grant.remaining;
  // What can be spent afterwards: the void takes the grant's credits out of
  // the spendable balance only if it has started (a scheduled grant's never
  // counted).
  p.spendable_after = grant.effective_at <= now
                          ? SubUnits(spendable_before, grant.remaining)
                          : spendable_before;
  if (grant.remaining > 0) p.drafts.push_back(OutOf(grant, EntryType::kVoid));
  p.grant = grant;
  p.grant.voided_at = now;
  p.grant.voided_amount = AddUnits(grant.voided_amount, grant.remaining);
  p.grant.remaining = 0;
  return p;
}

Micros SweepAsOf(std::optional<Micros> as_of, Micros now,
                 std::int32_t max_grants) {
  if (as_of && *as_of > now) {
    throw LedgerError(ErrorCode::kInvalidParameter, "as_of is in the future",
                      "Only credit that has already lapsed can expire.");
  }
  if (max_grants < 1) {
    throw LedgerError(
        ErrorCode::kInvalidParameter, "max_grants must be positive",
        "The value given was " + std::to_string(max_grants) + ".");
  }
  return as_of.value_or(now);
}

bool SweepExpires(const GrantRow& grant, Micros as_of) {
  return IsOpen(grant) && grant.expires_at <= as_of;
}

ExpiryPlan PlanExpiry(const GrantRow& grant, Micros now) {
  ExpiryPlan p;
  p.draft = OutOf(grant, EntryType::kExpiration);
  p.draft.occurred_at = grant.expires_at;
  p.expired = grant.remaining;
  p.grant = grant;
  p.grant.expired_amount = AddUnits(grant.expired_amount, grant.remaining);
  p.grant.expired_at = now;
  p.grant.remaining = 0;
  return p;
}

}  // namespace credit_ledger
