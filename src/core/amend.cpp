#include "amend.hpp"

#include "error.hpp"
#include "json.hpp"
#include "validate.hpp"

#include <string>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// LG006 unless the block can still change.
void CheckAmendable(const AmendTarget& t, Micros now) {
  const GrantRow& g = t.row;
  const char* state = nullptr;
  if (g.voided_at) {
    state = "voided";
  } else if (t.canceled) {
    state = "canceled";
  } else if (g.expired_at) {
    state = "expired";
  } else if (g.expires_at <= now) {
    state = "lapsed";
  } else if (!t.pending && g.remaining == 0 && t.held == 0) {
    state = "depleted";
  }
  if (state != nullptr) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "grant " + std::to_string(g.grant_id) + " is " + state,
                      "Only a block that can still be spent can be changed.");
  }
}

// 22023 unless the new expiry is after now and after the block's start.
void CheckNewExpiry(const GrantRow& g, Micros expires_at, Micros now) {
  if (expires_at <= now || expires_at <= g.effective_at) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "expires_at must be after now and after the block's "
                      "effective_at",
                      "The block starts at " +
                          FormatTimestampUtc(g.effective_at) +
                          "; the expires_at given was " +
                          FormatTimestampUtc(expires_at) + ".");
  }
}

std::optional<std::string> Instant(Micros t) {
  if (t == kNever) return std::nullopt;
  return FormatTimestampUtc(t);
}

// {"new": ..., "old": ...} as jsonb orders keys (by length, then bytes).
std::string Change(const std::optional<std::string>& before,
                   const std::optional<std::string>& after) {
  return JsonObject().String("new", after).String("old", before).str();
}

std::string Change(std::int64_t before, std::int64_t after) {
  return JsonObject().Integer("new", after).Integer("old", before).str();
}

}  // namespace

AmendPlan PlanGrantUpdate(const AmendTarget& target, const GrantUpdate& update,
                          Micros now) {
  CheckAmendable(target, now);
  const GrantRow& g = target.row;
  const bool moves = update.expires_at && *update.expires_at != g.expires_at;
  const bool reorders = update.priority && *update.priority != g.priority;
  if (!moves && !reorders) {
    throw LedgerError(ErrorCode::kInvalidParameter, "nothing to change",
                      "Give a new expires_at or priority that differs from "
                      "the block's.");
  }
  AmendPlan p;
  p.row = g;
  p.old_expires_at = g.expires_at == kNever
                         ? std::nullopt
                         : std::optional<Micros>(g.expires_at);
  p.old_priority = g.priority;
  JsonObject meta;  // keys in jsonb's order: priority before expires_at
  if (reorders) {
    CheckPriority(*update.priority);
    p.row.priority = *update.priority;
    meta.Raw("priority", Change(g.priority, *update.priority));
  }
  if (moves) {
    CheckNewExpiry(g, *update.expires_at, now);
    p.row.expires_at = *update.expires_at;
    meta.Raw("expires_at",
             Change(Instant(g.expires_at), Instant(*update.expires_at)));
  }
  p.metadata = meta.str();
  if (target.entered) {
    EntryDraft e;
    e.type = EntryType::kAmendment;
    e.amount = 0;
    e.grant_id = g.grant_id;
    e.promotional = g.promotional;
    e.cost_basis = g.cost_basis;
    p.draft = e;
  }
  return p;
}

PendingEvent GrantUpdatedEvent(const EventSubject& subject,
                               const AmendPlan& plan) {
  JsonObject o = EventFields(subject);
  o.Integer("grant_id", plan.row.grant_id)
      .Integer("priority", std::int64_t{plan.row.priority})
      .String("expires_at", Instant(plan.row.expires_at))
      .Raw("changes", plan.metadata);
  return {"credits.grant.updated", o.str()};
}

}  // namespace credit_ledger
