#include "reversal.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

#include <algorithm>

namespace credit_ledger {

void CheckReversible(std::int64_t operation_id,
                     const std::string& operation_type) {
  if (operation_type == "consume") return;
  throw LedgerError(ErrorCode::kInvalidState,
                    "only consume operations can be reversed",
                    "Operation " + std::to_string(operation_id) + " is a " +
                        operation_type + ".",
                    "Correct other operations with credit_adjust() or "
                    "credit_void().");
}

std::int64_t ReversalBlockCredits(const std::vector<Restoration>& restorations,
                                  std::int64_t debt) {
  std::int64_t beyond = 0;
  for (const Restoration& r : restorations) {
    if (r.grant_id) continue;
    const std::int64_t onto_debt = std::min(r.amount, debt);
    debt -= onto_debt;
    beyond = AddUnits(beyond, r.amount - onto_debt);
  }
  return beyond;
}

namespace {

EntryDraft Reversal(std::int64_t amount) {
  EntryDraft e;
  e.type = EntryType::kReversal;
  e.amount = amount;
  return e;
}

// Debt restored: onto the debt as far as it goes, the rest into a new block.
void RestoreDebt(const ReversalInput& in, std::int64_t amount,
                 std::int64_t& debt_left, ReversalPlan& p) {
  const std::int64_t onto_debt = std::min(amount, debt_left);
  debt_left -= onto_debt;
  if (onto_debt > 0) p.drafts.push_back(Reversal(onto_debt));
  if (amount == onto_debt) return;
  if (!in.new_block_id) {
    throw LedgerError(ErrorCode::kInternal, "a reversal's new block has no id");
  }
  NewGrant block;
  block.grant_id = *in.new_block_id;
  block.amount = amount - onto_debt;
  block.remaining = block.amount;
  block.effective_at = in.now;
  block.kind = "reversal";
  block.reason = in.reason;
  EntryDraft e = Reversal(block.amount);
  e.grant_id = block.grant_id;
  e.promotional = false;
  p.drafts.push_back(e);
  p.new_block = block;
}

// Credits back onto their grant, and out again if the grant has lapsed.
void RestoreGrant(const ReversalInput& in, const Restoration& r,
                  ReversalPlan& p) {
  GrantRow& g = p.restored.try_emplace(*r.grant_id, in.restored.at(*r.grant_id))
                    .first->second;
  EntryDraft back = Reversal(r.amount);
  back.grant_id = g.grant_id;
  back.promotional = g.promotional;
  back.cost_basis = g.cost_basis;
  p.drafts.push_back(back);
  if (!g.Lapsed(in.now)) {
    g.remaining = AddUnits(g.remaining, r.amount);
    return;
  }
  EntryDraft out = back;
  out.amount = -r.amount;
  if (g.voided_at) {
    out.type = EntryType::kVoid;
    g.voided_amount = AddUnits(g.voided_amount, r.amount);
  } else {
    out.type = EntryType::kExpiration;
    g.expired_amount = AddUnits(g.expired_amount, r.amount);
  }
  p.drafts.push_back(out);
}

// The open grants with the restored ones (and the new block) updated, in
// grant_id order.
std::vector<OpenGrant> AfterRestoring(const ReversalInput& in,
                                      const ReversalPlan& p) {
  std::map<std::int64_t, OpenGrant> by_id;
  for (const OpenGrant& g : in.open) by_id[g.state.grant_id] = g;
  for (const auto& [grant_id, row] : p.restored) by_id[grant_id] = row.AsOpen();
  if (p.new_block) {
    OpenGrant g;
    g.state.grant_id = p.new_block->grant_id;
    g.state.priority = p.new_block->priority;
    g.state.effective_at = in.now;
    g.state.remaining = p.new_block->remaining;
    by_id[g.state.grant_id] = g;
  }
  std::vector<OpenGrant> grants;
  grants.reserve(by_id.size());
  for (auto& [grant_id, g] : by_id) grants.push_back(std::move(g));
  return grants;
}

// Restored credit repays outstanding debt first, like any new credit; then
// each grant's remaining goes where it is written.
void Settle(const ReversalInput& in, ReversalPlan& p) {
  const std::vector<OpenGrant> grants = AfterRestoring(in, p);
  p.planned = PlannerState(grants, in.debt, in.policy, in.scale, in.order);
  for (const EntryDraft& d : p.drafts) {
    if (!d.grant_id)
      p.planned.debt = SubUnits(p.planned.debt, d.amount, "debt");
  }
  p.settle = PlanConsume(p.planned, in.now, 0);
  AddRepaymentEntries(p.drafts, grants, p.settle.repayments);
  for (std::size_t i = 0; i < grants.size(); ++i) {
    const std::int64_t grant_id = grants[i].state.grant_id;
    const std::int64_t remaining = p.settle.remaining_after[i];
    if (p.new_block && grant_id == p.new_block->grant_id) {
      p.new_block->remaining = remaining;
    } else if (auto t = p.restored.find(grant_id); t != p.restored.end()) {
      if (!t->second.Lapsed(in.now)) t->second.remaining = remaining;
    } else {
      p.others.push_back(grants[i]);
      p.others_after.push_back(remaining);
    }
  }
}

}  // namespace

ReversalPlan PlanReverse(const ReversalInput& in) {
  ReversalPlan p;
  std::int64_t debt_left = in.debt;
  for (const Restoration& r : in.restorations) {
    p.amount = AddUnits(p.amount, r.amount);
    if (r.grant_id) {
      RestoreGrant(in, r, p);
    } else {
      RestoreDebt(in, r.amount, debt_left, p);
    }
  }
  Settle(in, p);
  return p;
}

}  // namespace credit_ledger
