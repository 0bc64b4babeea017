#include "prefix.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "holds.hpp"

#include <limits>
#include <utility>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// a + b for credits of blocks, capped instead of overflowing: compared
// with a need of at most twice the amount bound, a capped sum is as good.
std::int64_t AddCapped(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum))
    return std::numeric_limits<std::int64_t>::max();
  return sum;
}

}  // namespace

PrefixDrawDown::PrefixDrawDown(WalletState wallet, Micros now,
                               std::int64_t units, EntryType type,
                               bool allow_partial,
                               std::int64_t reserved_overdraft,
                               std::optional<std::int64_t> available)
    : wallet_(std::move(wallet)), now_(now), units_(units), type_(type),
      allow_partial_(allow_partial), reserved_overdraft_(reserved_overdraft),
      available_(available) {
  wallet_.grants.clear();
  if (!available_) return;
  const std::int64_t drawn =
      allow_partial_ ? PartialAmount(units_, *available_) : units_;
  needed_ = AddCapped(wallet_.debt, drawn);
  decided_ = needed_ == 0;
}

bool PrefixDrawDown::Take(OpenGrant block) {
  if (decided_) return false;  // not taken: the plan does not need it
  if (!available_) {
    grants_.push_back(std::move(block));
    return true;
  }
  const GrantState& g = block.state;
  if (!grants_.empty()) {
    const GrantState& last = grants_.back().state;
    if (!DrawsBefore(last, g)) {
      throw LedgerError(ErrorCode::kInternal,
                        "a wallet's blocks were read out of drawdown order");
    }
    // Blocks of a lower priority than g precede every block not read yet.
    if (g.priority != last.priority) {
      settled_ = AddCapped(settled_, pending_);
      pending_ = 0;
    }
  }
  if (IsSpendableAt(g, now_)) {
    const bool settles =
        wallet_.order == DrawdownPolicy::kExpiryFirst || g.promotional;
    std::int64_t& sum = settles ? settled_ : pending_;
    sum = AddCapped(sum, g.remaining);
  }
  grants_.push_back(std::move(block));
  decided_ = settled_ >= needed_;
  return !decided_;
}

DrawDownPlan PrefixDrawDown::Plan() const {
  WalletState state = wallet_;
  state.grants.reserve(grants_.size());
  for (const OpenGrant& g : grants_) state.grants.push_back(g.state);
  if (!decided_) {
    return PlanWalletDrawDown(grants_, std::move(state), now_, units_, type_,
                              allow_partial_, reserved_overdraft_);
  }
  // The settled blocks cover the debt and the draw: the plan stays within
  // them, whatever else the wallet holds.
  const std::int64_t drawn =
      allow_partial_ ? PartialAmount(units_, *available_) : units_;
  state.policy = PolicyLessReserved(state.policy, reserved_overdraft_);
  DrawDownPlan p = PlanDrawDown(grants_, std::move(state), now_, drawn, type_);
  if (p.plan.uncovered != 0) {
    throw LedgerError(ErrorCode::kInternal,
                      "a draw-down decided by its first blocks left credit "
                      "uncovered");
  }
  // The balance is the ledger's: every block's spendable credits less the
  // debt is the available balance plus what holds reserve against the
  // overdraft allowance.
  p.plan.spendable_before = AddUnits(*available_, reserved_overdraft_);
  p.plan.spendable_after = SubUnits(p.plan.spendable_before, drawn);
  return p;
}

}  // namespace credit_ledger
