#include "rollover.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "json.hpp"

#include <algorithm>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// An entry of `type` and `amount` (signed) on `grant_id` with the lapsing
// block's terms, dated at the lapse. (Built here rather than by main's
// PlanExpiry or branch time's ExpirationDraft, so this file merges with
// either.)
EntryDraft LapseDraft(EntryType type, const GrantRow& from,
                      std::int64_t grant_id, std::int64_t amount, Micros at) {
  EntryDraft e;
  e.type = type;
  e.amount = amount;
  e.grant_id = grant_id;
  e.promotional = from.promotional;
  e.cost_basis = from.cost_basis;
  e.occurred_at = at;
  return e;
}

NewGrant RolloverBlock(const GrantRow& from, std::int64_t rolled,
                       const RolloverTerms& terms, Micros at,
                       std::int64_t grant_id) {
  BlockSpec spec;
  spec.kind = "rollover";
  spec.promotional = from.promotional;
  spec.priority = from.priority;
  spec.cost_basis = from.cost_basis;
  spec.expires_at = terms.expires_at;
  NewGrant g = BlockRow(spec, rolled, grant_id, at);
  g.source_id = "rollover:" + std::to_string(from.grant_id);
  return g;
}

}  // namespace

std::optional<RolloverTerms> RolloverTermsFor(const RecurringSchedule& s,
                                              std::int64_t k,
                                              const std::string& block_kind,
                                              Micros at,
                                              const Calendar& calendar) {
  if (s.rollover_max <= 0 || !s.expire_after || block_kind == "rollover") {
    return std::nullopt;
  }
  const Micros expires_at =
      calendar.Add(PeriodStart(s, k, calendar),
                   Times(*s.expire_after, 2, "rollover expiry"));
  if (expires_at <= at) return std::nullopt;
  return RolloverTerms{s.rollover_max, expires_at};
}

LapsePlan PlanLapse(const GrantRow& block, Micros at,
                    const std::optional<RolloverTerms>& terms,
                    std::int64_t new_grant_id) {
  LapsePlan p;
  p.rolled = terms ? std::min(block.remaining, terms->max) : 0;
  if (p.rolled > 0) {
    p.block = RolloverBlock(block, p.rolled, *terms, at, new_grant_id);
    p.drafts.push_back(
        LapseDraft(EntryType::kRollover, block, block.grant_id, -p.rolled, at));
    p.drafts.push_back(
        LapseDraft(EntryType::kRollover, block, new_grant_id, p.rolled, at));
  }
  // What is left expires, as the sweep would expire it, at the lapse.
  p.expired = SubUnits(block.remaining, p.rolled);
  if (p.expired > 0) {
    p.drafts.push_back(LapseDraft(EntryType::kExpiration, block, block.grant_id,
                                  -p.expired, at));
  }
  p.lapsed = block;
  p.lapsed.expired_amount = AddUnits(block.expired_amount, p.expired);
  p.lapsed.expired_at = at;
  p.lapsed.remaining = 0;
  return p;
}

PendingEvent RolledOverEvent(const EventSubject& subject, const LapsePlan& plan,
                             std::int64_t balance) {
  if (!plan.block) {
    throw LedgerError(ErrorCode::kInternal,
                      "rollover event for a lapse that rolled nothing over");
  }
  JsonObject o = EventFields(subject);
  o.Integer("from_grant_id", plan.lapsed.grant_id)
      .Integer("grant_id", plan.block->grant_id)
      .String("amount", FormatAmount(plan.rolled, subject.scale))
      .String("expires_at", FormatTimestampUtc(*plan.block->expires_at))
      .String("balance", FormatAmount(balance, subject.scale));
  return {"credits.rolled_over", o.str()};
}

}  // namespace credit_ledger
