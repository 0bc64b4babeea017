#include "plan.hpp"

#include "amount.hpp"
#include "error.hpp"

#include <algorithm>
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

std::int64_t SpendableFromLedger(std::int64_t ledger_balance,
                                 std::int64_t lapsed_remaining) {
  return SubUnits(ledger_balance, lapsed_remaining);
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

std::vector<Restoration> PlanReversal(const std::vector<UsagePortion>& portions,
                                      std::int64_t already_reversed,
                                      std::optional<std::int64_t> amount,
                                      int scale) {
  std::int64_t consumed = 0;
  for (const UsagePortion& p : portions) consumed = AddUnits(consumed, p.amount);
  const std::int64_t left = consumed - already_reversed;
  if (left <= 0) {
    throw LedgerError(ErrorCode::kInvalidState,
                      "operation has already been fully reversed",
                      "All " + FormatAmount(consumed, scale) +
                          " credits it consumed were restored.");
  }
  const std::int64_t wanted = amount.value_or(left);
  if (wanted <= 0) {
    throw LedgerError(ErrorCode::kInvalidParameter, "amount must be positive");
  }
  if (wanted > left) {
    throw LedgerError(
        ErrorCode::kInvalidState,
        "reversal exceeds what is left of the operation",
        "It consumed " + FormatAmount(consumed, scale) + ", of which " +
            FormatAmount(left, scale) + " can still be reversed; " +
            FormatAmount(wanted, scale) + " was asked.");
  }
  // Walk back from the last portion: earlier reversals took the first
  // `already_reversed` credits of this walk, this one takes the next `wanted`.
  std::vector<Restoration> out;
  std::int64_t skip = already_reversed;
  std::int64_t take = wanted;
  for (auto it = portions.rbegin(); it != portions.rend() && take > 0; ++it) {
    std::int64_t available = it->amount;
    const std::int64_t skipped = std::min(skip, available);
    skip -= skipped;
    available -= skipped;
    if (available == 0) continue;
    const std::int64_t now_taken = std::min(take, available);
    out.push_back(Restoration{it->grant_id, now_taken});
    take -= now_taken;
  }
  return out;
}

}  // namespace credit_ledger
