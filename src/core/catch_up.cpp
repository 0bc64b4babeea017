#include "catch_up.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "json.hpp"
#include "lifecycle.hpp"
#include "rollover.hpp"

#include <algorithm>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

const Block* Find(const TimedWallet& w, std::int64_t grant_id) {
  for (const Block& b : w.blocks) {
    if (b.row.grant_id == grant_id) return &b;
  }
  return nullptr;
}

const Hold* FindHold(const TimedWallet& w, std::int64_t hold_id) {
  for (const Hold& h : w.holds) {
    if (h.hold_id == hold_id) return &h;
  }
  return nullptr;
}

// The reason of a draft written by a happening of `kind`; `block`: the
// labels of the block taking effect (kTakeEffect).
std::string ReasonOf(HappeningKind kind, EntryType type,
                     const BlockLabels& block) {
  switch (kind) {
  case HappeningKind::kHoldTimeout:
    return "hold expired";
  case HappeningKind::kLapse:
    return type == EntryType::kRollover ? "rolled over" : "expired";
  case HappeningKind::kPeriodStart:
    return "recurring period started";
  case HappeningKind::kTakeEffect:
    if (block.reason) return *block.reason;
    return block.kind == "recurring" ? "recurring period started"
                                     : "scheduled grant took effect";
  }
  return "expired";
}

// A created block's labels (it has no row to read them from yet).
BlockLabels LabelsOf(const CatchUpPlan& plan,
                     const std::map<std::int64_t, BlockLabels>& labels,
                     std::int64_t grant_id) {
  auto it = labels.find(grant_id);
  if (it != labels.end()) return it->second;
  for (const CreatedBlock& c : plan.created_blocks) {
    if (c.grant.grant_id == grant_id) {
      return BlockLabels{c.grant.kind, c.grant.reason, c.grant.source_id};
    }
  }
  return BlockLabels{};
}

// credits.rolled_over and credits.expired (what really expired) of a lapse.
void LapseEvents(const EventSubject& s, const CatchUpPlan& plan,
                 const Happening& h, std::int64_t balance,
                 const ValueOf& value_of, std::vector<PendingEvent>& out) {
  const Block* b = Find(plan.change.wallet, h.id);
  if (b == nullptr) return;
  bool rolled = false;
  for (const Rollover& r : plan.rollovers) {
    if (r.from != h.id) continue;
    LapsePlan lapse;
    lapse.lapsed = b->row;
    lapse.rolled = r.amount;
    lapse.block = NewGrant{};
    lapse.block->grant_id = r.to;
    lapse.block->expires_at = r.expires_at;
    out.push_back(RolledOverEvent(s, lapse, balance));
    rolled = true;
  }
  ExpiryPlan expiry;
  expiry.grant = b->row;
  for (const EntryDraft& d : h.drafts) {
    if (d.type == EntryType::kExpiration && d.grant_id == h.id) {
      expiry.expired = SubUnits(expiry.expired, d.amount);
    }
  }
  if (rolled && expiry.expired == 0) return;
  out.push_back(ExpiredEvent(
      s, expiry, value_of(expiry.expired, b->row.cost_basis), balance));
}

}  // namespace

std::vector<std::string>
CatchUpReasons(const CatchUpPlan& plan,
               const std::map<std::int64_t, BlockLabels>& labels) {
  std::vector<std::string> reasons;
  reasons.reserve(plan.change.drafts.size());
  for (const Happening& h : plan.happenings) {
    BlockLabels block;
    if (h.kind == HappeningKind::kTakeEffect && !h.drafts.empty()) {
      block = LabelsOf(plan, labels, h.id);
    }
    for (const EntryDraft& d : h.drafts) {
      reasons.push_back(ReasonOf(h.kind, d.type, block));
    }
  }
  if (reasons.size() != plan.change.drafts.size()) {
    throw LedgerError(ErrorCode::kInternal,
                      "a catch-up's happenings do not account for its entries");
  }
  return reasons;
}

bool IsBlockOpen(const Block& b) {
  return IsBlockOpen(b.row.remaining, b.held, b.entered,
                     b.row.voided_at.has_value(), b.row.expired_at.has_value(),
                     b.canceled);
}

CatchUpPlan PlanSweepCatchUp(const TimedWallet& wallet, Micros as_of,
                             std::optional<Micros> since,
                             std::int64_t max_lapses) {
  CatchUpPlan plan = PlanCatchUp(wallet, as_of, since);
  if (static_cast<std::int64_t>(plan.lapsed_blocks.size()) <= max_lapses) {
    return plan;
  }
  // The first lapse beyond the budget, and the instant just before it.
  std::int64_t lapses = 0;
  Micros stop = as_of;
  for (const Happening& h : plan.happenings) {
    if (h.kind != HappeningKind::kLapse) continue;
    if (++lapses > max_lapses) {
      stop = h.at - 1;
      break;
    }
  }
  return PlanCatchUp(wallet, stop, since);
}

PendingEvent HoldExpiredEvent(const EventSubject& s, const Hold& hold,
                              std::int64_t balance) {
  JsonObject o = EventFields(s);
  o.Integer("hold_id", hold.hold_id)
      .String("amount", FormatAmount(hold.amount, s.scale))
      .String("expires_at", FormatTimestampUtc(hold.expires_at))
      .String("balance", FormatAmount(balance, s.scale));
  return {"credits.hold.expired", o.str()};
}

PendingEvent BlockGrantedEvent(const EventSubject& s, const Block& b,
                               const BlockLabels& labels,
                               std::int64_t balance) {
  NewGrant g;
  static_cast<GrantTerms&>(g) = b.row;
  if (b.row.expires_at != kNever) g.expires_at = b.row.expires_at;
  g.kind = labels.kind;
  g.reason = labels.reason;
  g.source_id = labels.source_id;
  return GrantedEvent(s, g, balance);
}

PendingEvent GrantCanceledEvent(const EventSubject& s, const Block& b,
                                const std::optional<std::string>& reason,
                                std::int64_t balance) {
  JsonObject o = EventFields(s);
  o.Integer("grant_id", b.row.grant_id)
      .String("amount", FormatAmount(b.row.amount, s.scale))
      .String("reason", reason)
      .String("balance", FormatAmount(balance, s.scale));
  return {"credits.grant.canceled", o.str()};
}

std::vector<PendingEvent>
CatchUpEvents(const EventSubject& s, const TimedWallet& before,
              const CatchUpPlan& plan,
              const std::map<std::int64_t, BlockLabels>& labels,
              const ValueOf& value_of) {
  std::vector<PendingEvent> out;
  const TimedWallet& after = plan.change.wallet;
  for (const Happening& h : plan.happenings) {
    const std::int64_t balance = h.balance_after - HeldAt(before, h.at);
    switch (h.kind) {
    case HappeningKind::kHoldTimeout:
      if (const Hold* hold = FindHold(before, h.id)) {
        out.push_back(HoldExpiredEvent(s, *hold, balance));
      }
      break;
    case HappeningKind::kLapse:
      LapseEvents(s, plan, h, balance, value_of, out);
      break;
    case HappeningKind::kPeriodStart:
      break;  // credits.granted comes when the block enters, right after
    case HappeningKind::kTakeEffect: {
      const bool entered_now =
          std::find(plan.entered_blocks.begin(), plan.entered_blocks.end(),
                    h.id) != plan.entered_blocks.end();
      const Block* b = Find(after, h.id);
      if (!entered_now || b == nullptr) break;
      out.push_back(
          BlockGrantedEvent(s, *b, LabelsOf(plan, labels, h.id), balance));
      break;
    }
    }
  }
  return out;
}

std::optional<Micros> LowerDueAt(std::optional<Micros> stored, Micros due) {
  if (due == kNever) return stored;
  if (!stored || due < *stored) return due;
  return stored;
}

}  // namespace credit_ledger
