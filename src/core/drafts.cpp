#include "drafts.hpp"

#include <utility>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {

OpenGrant GrantRow::AsOpen() const {
  OpenGrant g;
  g.state.grant_id = grant_id;
  g.state.priority = priority;
  g.state.effective_at = effective_at;
  g.state.expires_at = expires_at;
  g.state.promotional = promotional;
  g.state.remaining = (voided_at || expired_at) ? 0 : remaining;
  g.cost_basis = cost_basis;
  return g;
}

WalletState PlannerState(const std::vector<OpenGrant>& grants,
                         std::int64_t debt, const OverdraftPolicy& policy,
                         int scale, DrawdownPolicy order) {
  WalletState state;
  state.order = order;
  state.grants.reserve(grants.size());
  for (const OpenGrant& g : grants) state.grants.push_back(g.state);
  state.debt = debt;
  state.policy = policy;
  state.scale = scale;
  return state;
}

void AddDrawEntries(std::vector<EntryDraft>& drafts,
                    const std::vector<OpenGrant>& grants,
                    const std::vector<Draw>& draws, EntryType type) {
  for (const Draw& d : draws) {
    const OpenGrant& g = grants[d.index];
    EntryDraft e;
    e.type = type;
    e.amount = -d.amount;
    e.grant_id = g.state.grant_id;
    e.promotional = g.state.promotional;
    e.cost_basis = g.cost_basis;
    drafts.push_back(std::move(e));
  }
}

void AddRepaymentEntries(std::vector<EntryDraft>& drafts,
                         const std::vector<OpenGrant>& grants,
                         const std::vector<Draw>& draws) {
  // The grant is charged first, then the debt cleared: balance_after dips by
  // the repayment and comes back, and so always stays within the range the
  // wallet's balance has before and after. Clearing the debt first would
  // briefly raise it by the repayment, past 10^18 - 1 for a grant that fits.
  for (const Draw& d : draws) {
    AddDrawEntries(drafts, grants, {d}, EntryType::kRepayment);
    EntryDraft settle;
    settle.type = EntryType::kRepayment;
    settle.amount = d.amount;
    drafts.push_back(std::move(settle));
  }
}

std::vector<EntryDraft> ConsumeDrafts(const std::vector<OpenGrant>& grants,
                                      const ConsumePlan& plan, EntryType type) {
  std::vector<EntryDraft> drafts;
  AddRepaymentEntries(drafts, grants, plan.repayments);
  AddDrawEntries(drafts, grants, plan.draws, type);
  if (plan.uncovered > 0) {
    EntryDraft debt;
    debt.type = type;
    debt.amount = -plan.uncovered;
    drafts.push_back(debt);
  }
  return drafts;
}

std::int64_t DrawDownAmount(EntryType type, std::int64_t units) {
  return type == EntryType::kUsage ? units : -units;
}

DrawDownPlan PlanDrawDown(const std::vector<OpenGrant>& grants,
                          WalletState state, Micros now, std::int64_t units,
                          EntryType type) {
  DrawDownPlan p;
  p.plan = PlanConsume(state, now, units);
  p.drafts = ConsumeDrafts(grants, p.plan, type);
  p.amount = DrawDownAmount(type, units);
  p.available_after = p.plan.spendable_after;
  p.state = std::move(state);
  return p;
}

}  // namespace credit_ledger
