#include "wallet_work.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "holds.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

void Remember(std::vector<std::int64_t>& ids, std::int64_t id) {
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

}  // namespace

EntryDraft BlockEntry(const GrantRow& row, EntryType type,
                      std::int64_t amount) {
  EntryDraft e;
  e.type = type;
  e.amount = amount;
  e.grant_id = row.grant_id;
  e.promotional = row.promotional;
  e.cost_basis = row.cost_basis;
  return e;
}

std::int64_t Hold::Overdraft() const {
  std::int64_t total = 0;
  for (const Reservation& r : reserved) {
    if (!r.grant_id) total = AddUnits(total, r.amount);
  }
  return total;
}

Block* WalletWork::FindBlock(std::int64_t grant_id) {
  for (Block& b : w_.blocks) {
    if (b.row.grant_id == grant_id) return &b;
  }
  return nullptr;
}

Hold* WalletWork::FindHold(std::int64_t hold_id) {
  for (Hold& h : w_.holds) {
    if (h.hold_id == hold_id) return &h;
  }
  return nullptr;
}

Block& WalletWork::GetBlock(std::int64_t grant_id) {
  Block* b = FindBlock(grant_id);
  if (b == nullptr) {
    throw LedgerError(ErrorCode::kInternal,
                      "grant " + std::to_string(grant_id) +
                          " was not read with its wallet");
  }
  return *b;
}

void WalletWork::Append(EntryDraft draft) {
  w_.balance = AddUnits(w_.balance, draft.amount);
  drafts_.push_back(std::move(draft));
}

void WalletWork::TouchBlock(std::int64_t grant_id) {
  Remember(changed_blocks_, grant_id);
}

void WalletWork::TouchHold(std::int64_t hold_id) {
  Remember(changed_holds_, hold_id);
}

bool WalletWork::ReturnReserved(const std::vector<Reservation>& parts,
                                Micros at, std::optional<Micros> occurred_at) {
  bool live = false;
  for (const Reservation& r : parts) {
    if (!r.grant_id || r.amount == 0) continue;
    Block& b = GetBlock(*r.grant_id);
    b.held = SubUnits(b.held, r.amount, "held");
    TouchBlock(b.row.grant_id);
    if (!b.row.Lapsed(at)) {
      b.row.remaining = AddUnits(b.row.remaining, r.amount, "remaining");
      live = true;
      continue;
    }
    // Reserved while the block was valid; it has lapsed or been voided since,
    // so the credit leaves again at once, as with a reversal.
    const bool voided = b.row.voided_at.has_value();
    EntryDraft out = BlockEntry(
        b.row, voided ? EntryType::kVoid : EntryType::kExpiration, -r.amount);
    out.occurred_at = occurred_at;
    if (voided) {
      b.row.voided_amount = AddUnits(b.row.voided_amount, r.amount);
    } else {
      b.row.expired_amount = AddUnits(b.row.expired_amount, r.amount);
      // Free credit it still has lapses as its own happening, which marks it.
      if (!b.row.expired_at && b.row.remaining == 0) b.row.expired_at = at;
    }
    Append(std::move(out));
  }
  return live;
}

std::vector<OpenGrant> WalletWork::Open(std::vector<std::size_t>& index) const {
  std::vector<OpenGrant> open;
  index.clear();
  for (std::size_t i = 0; i < w_.blocks.size(); ++i) {
    const Block& b = w_.blocks[i];
    if (!b.entered || b.pending || b.canceled) continue;
    open.push_back(b.row.AsOpen());
    index.push_back(i);
  }
  return open;
}

OverdraftPolicy WalletWork::PolicyWithHolds(Micros now) const {
  std::int64_t reserved = 0;
  for (const Hold& h : w_.holds) {
    if (h.ActiveAt(now)) reserved = AddUnits(reserved, h.Overdraft());
  }
  return PolicyLessReserved(w_.policy, reserved);
}

void WalletWork::RepayDebt(Micros at, std::optional<Micros> occurred_at) {
  if (w_.debt == 0) return;
  std::vector<std::size_t> index;
  const std::vector<OpenGrant> open = Open(index);
  const ConsumePlan plan = PlanConsume(
      PlannerState(open, w_.debt, w_.policy, w_.scale, w_.order), at, 0);
  std::vector<EntryDraft> drafts;
  AddRepaymentEntries(drafts, open, plan.repayments);
  for (EntryDraft& d : drafts) {
    d.occurred_at = occurred_at;
    Append(std::move(d));
  }
  for (const Draw& d : plan.repayments) {
    Block& b = w_.blocks[index[d.index]];
    b.row.remaining -= d.amount;
    TouchBlock(b.row.grant_id);
  }
  w_.debt = plan.debt_after;
}

ConsumePlan WalletWork::Consume(std::int64_t amount, Micros now, bool check,
                                EntryType type) {
  std::vector<std::size_t> index;
  const std::vector<OpenGrant> open = Open(index);
  WalletState state =
      PlannerState(open, w_.debt, w_.policy, w_.scale, w_.order);
  state.policy = check ? PolicyWithHolds(now) : OverdraftPolicy{std::nullopt};
  ConsumePlan plan = PlanConsume(state, now, amount);
  for (EntryDraft& d : ConsumeDrafts(open, plan, type)) Append(std::move(d));
  for (const std::vector<Draw>* draws : {&plan.repayments, &plan.draws}) {
    for (const Draw& d : *draws) {
      Block& b = w_.blocks[index[d.index]];
      b.row.remaining -= d.amount;
      TouchBlock(b.row.grant_id);
    }
  }
  w_.debt = plan.debt_after;
  return plan;
}

WalletChange WalletWork::Finish() && {
  WalletChange c;
  c.wallet = std::move(w_);
  c.drafts = std::move(drafts_);
  c.changed_blocks = std::move(changed_blocks_);
  c.changed_holds = std::move(changed_holds_);
  return c;
}

}  // namespace credit_ledger
