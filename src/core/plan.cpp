#include "plan.hpp"

#include "amount.hpp"
#include "error.hpp"

#include <algorithm>
#include <limits>
#include <utility>
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

void Apply(std::vector<GrantState>& grants, const std::vector<Draw>& draws) {
  for (const Draw& d : draws) grants[d.index].remaining -= d.amount;
}

// Judges what a consume of `amount` left uncovered against the wallet's
// policy (LG001) and fills the debt and balance after it; `debt` is what
// remains after the repayments.
void ConcludePlan(ConsumePlan& plan, const WalletState& wallet,
                  std::int64_t debt, std::int64_t amount) {
  // The policy decides first, on the exact debt (saturated, never wrapped):
  // a wallet with a limit refuses with LG001 even where the debt would also
  // leave the range; only unlimited debt can run into 22003.
  if (plan.uncovered > 0) {
    std::int64_t debt_after = 0;
    if (__builtin_add_overflow(debt, plan.uncovered, &debt_after)) {
      debt_after = std::numeric_limits<std::int64_t>::max();
    }
    CheckOverdraft(wallet.policy, debt_after, plan.spendable_before, amount,
                   wallet.scale);
  }
  plan.debt_after = AddUnits(debt, plan.uncovered, "debt");
  plan.spendable_after = SubUnits(plan.spendable_before, amount);
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
    DrawdownPlan settle = PlanDrawdown(grants, now, debt, wallet.order);
    Apply(grants, settle.draws);
    debt -= settle.drawn;
    plan.repayments = std::move(settle.draws);
  }

  plan.spendable_before = SubUnits(SpendableRemaining(grants, now), debt);
  DrawdownPlan use = PlanDrawdown(grants, now, amount, wallet.order);
  Apply(grants, use.draws);
  plan.draws = std::move(use.draws);
  plan.uncovered = use.uncovered;
  ConcludePlan(plan, wallet, debt, amount);
  plan.remaining_after.reserve(grants.size());
  for (const GrantState& g : grants)
    plan.remaining_after.push_back(g.remaining);
  // A grant both repaid from and drawn from is the last repayment and the
  // first draw: adjacent.
  for (const std::vector<Draw>* draws : {&plan.repayments, &plan.draws}) {
    for (const Draw& d : *draws) {
      if (grants[d.index].remaining == 0 &&
          (plan.emptied.empty() || plan.emptied.back() != d.index)) {
        plan.emptied.push_back(d.index);
      }
    }
  }
  return plan;
}

ConsumePlanner::ConsumePlanner(WalletState wallet, Micros now)
    : state_(std::move(wallet)), now_(now) {
  order_ = DrawdownOrder(state_.grants, now_, state_.order);
  try {
    spendable_ = SpendableRemaining(state_.grants, now_);
  } catch (const LedgerError&) {
    exact_ = false;
  }
}

ConsumePlan ConsumePlanner::Plan(std::int64_t amount) const {
  if (!exact_) {
    ConsumePlan plan = PlanConsume(state_, now_, amount);
    plan.remaining_after.clear();
    return plan;
  }
  if (amount < 0) {
    throw LedgerError(ErrorCode::kInternal, "a negative consume was planned");
  }
  // Walk the order from the first grant with credits, as PlanDrawdown would
  // on the state after each step.
  ConsumePlan plan;
  std::size_t at = next_;
  std::int64_t taken_here = 0;  // already taken from order_[at] by this plan
  auto draw = [&](std::int64_t wanted, std::vector<Draw>& out) {
    std::int64_t left = wanted;
    while (left > 0 && at < order_.size()) {
      const std::int64_t has = state_.grants[order_[at]].remaining - taken_here;
      const std::int64_t take = std::min(left, has);
      out.push_back(Draw{order_[at], take});
      left -= take;
      taken_here += take;
      if (take == has) {
        plan.emptied.push_back(order_[at]);
        ++at;
        taken_here = 0;
      }
    }
    return wanted - left;
  };

  std::int64_t debt = state_.debt;
  std::int64_t spendable = spendable_;
  if (debt > 0) {
    const std::int64_t repaid = draw(debt, plan.repayments);
    debt -= repaid;
    spendable -= repaid;
  }
  plan.spendable_before = SubUnits(spendable, debt);
  plan.uncovered = amount - draw(amount, plan.draws);
  ConcludePlan(plan, state_, debt, amount);
  return plan;
}

void ConsumePlanner::Apply(const ConsumePlan& plan) {
  for (const std::vector<Draw>* draws : {&plan.repayments, &plan.draws}) {
    for (const Draw& d : *draws) {
      state_.grants[d.index].remaining -= d.amount;
      spendable_ -= d.amount;
    }
  }
  state_.debt = plan.debt_after;
  while (next_ < order_.size() && state_.grants[order_[next_]].remaining == 0) {
    ++next_;
  }
}

std::vector<Restoration> PlanReversal(const std::vector<UsagePortion>& portions,
                                      std::int64_t already_reversed,
                                      std::optional<std::int64_t> amount,
                                      int scale) {
  std::int64_t consumed = 0;
  for (const UsagePortion& p : portions)
    consumed = AddUnits(consumed, p.amount);
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
    throw LedgerError(ErrorCode::kInvalidState,
                      "reversal exceeds what is left of the operation",
                      "It consumed " + FormatAmount(consumed, scale) +
                          ", of which " + FormatAmount(left, scale) +
                          " can still be reversed; " +
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

void CheckBalanceAsOf(std::optional<Micros> as_of, Micros now) {
  if (as_of && *as_of > now) {
    throw LedgerError(ErrorCode::kInvalidParameter, "as_of is in the future",
                      "The ledger can tell past balances, not future ones.");
  }
}

}  // namespace credit_ledger
