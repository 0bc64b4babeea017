#include "plan.hpp"

#include "amount.hpp"
#include "error.hpp"

#include <limits>
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

void Apply(std::vector<GrantState>& grants, const std::vector<Draw>& draws) {
  for (const Draw& d : draws) grants[d.index].remaining -= d.amount;
}

}  // namespace

std::int64_t SpendableBalance(const WalletState& wallet, Micros now) {
  return SubUnits(SpendableRemaining(wallet.grants, now), wallet.debt);
}

ConsumePlan PlanConsume(const WalletState& wallet, Micros now,
                        std::int64_t amount) {
  if (amount < 0) {
    throw LedgerError(ErrorCode::kInternal, "a negative consume was planned");
  }
  ConsumePlan plan;
  std::vector<GrantState> grants = wallet.grants;
  std::int64_t debt = wallet.debt;

  if (debt > 0) {
    DrawdownPlan settle = PlanDrawdown(grants, now, debt);
    Apply(grants, settle.draws);
    debt -= settle.drawn;
    plan.repayments = std::move(settle.draws);
  }

  plan.spendable_before = SubUnits(SpendableRemaining(grants, now), debt);
  DrawdownPlan use = PlanDrawdown(grants, now, amount);
  Apply(grants, use.draws);
  plan.draws = std::move(use.draws);
  plan.uncovered = use.uncovered;
  // The policy decides first, on the exact debt (saturated, never wrapped):
  // a wallet with a limit refuses with LG001 even where the debt would also
  // leave the range; only unlimited debt can run into 22003.
  if (plan.uncovered > 0) {
    std::int64_t debt_after = 0;
    if (__builtin_add_overflow(debt, use.uncovered, &debt_after)) {
      debt_after = std::numeric_limits<std::int64_t>::max();
    }
    CheckOverdraft(wallet.policy, debt_after, plan.spendable_before, amount,
                   wallet.scale);
  }
  plan.debt_after = AddUnits(debt, use.uncovered, "debt");
  plan.spendable_after = SubUnits(plan.spendable_before, amount);
  plan.remaining_after.reserve(grants.size());
  for (const GrantState& g : grants) plan.remaining_after.push_back(g.remaining);
  return plan;
}

}  // namespace credit_ledger
