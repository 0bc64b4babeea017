#include "holds.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "wallet_work.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

void CheckPositive(std::int64_t amount, const char* what) {
  if (amount <= 0) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      std::string(what) + " must be positive");
  }
}

}  // namespace

OverdraftPolicy PolicyLessReserved(const OverdraftPolicy& policy,
                                   std::int64_t reserved) {
  OverdraftPolicy less = policy;
  if (less.limit)
    less.limit = std::max<std::int64_t>(0, *less.limit - reserved);
  return less;
}

std::int64_t PartialAmount(std::int64_t amount, std::int64_t available) {
  return std::max<std::int64_t>(0, std::min(amount, available));
}

DrawDownPlan PlanWalletDrawDown(const std::vector<OpenGrant>& grants,
                                WalletState state, Micros now,
                                std::int64_t units, EntryType type,
                                bool allow_partial,
                                std::int64_t reserved_overdraft) {
  state.policy = PolicyLessReserved(state.policy, reserved_overdraft);
  if (allow_partial) {
    const std::int64_t spendable = PlanConsume(state, now, 0).spendable_before;
    units = PartialAmount(units, spendable - reserved_overdraft);
  }
  DrawDownPlan p = PlanDrawDown(grants, std::move(state), now, units, type);
  p.available_after = SubUnits(p.plan.spendable_after, reserved_overdraft);
  return p;
}

PartialConsume PlanBatchConsume(const ConsumePlanner& planner,
                                std::int64_t units, bool allow_partial,
                                std::int64_t reserved_overdraft) {
  PartialConsume p;
  p.applied = units;
  if (allow_partial) {
    p.applied = PartialAmount(units, planner.Plan(0).spendable_before -
                                         reserved_overdraft);
  }
  p.plan = planner.Plan(p.applied);
  p.available_after = SubUnits(p.plan.spendable_after, reserved_overdraft);
  return p;
}

const Hold& CheckHoldOpen(const TimedWallet& wallet, Micros now,
                          std::int64_t hold_id) {
  const std::string id = std::to_string(hold_id);
  for (const Hold& h : wallet.holds) {
    if (h.hold_id != hold_id) continue;
    switch (h.status) {
    case HoldStatus::kCaptured:
      throw LedgerError(ErrorCode::kInvalidState,
                        "hold " + id + " is already captured");
    case HoldStatus::kReleased:
      throw LedgerError(ErrorCode::kInvalidState,
                        "hold " + id + " is already released");
    case HoldStatus::kExpired:
    case HoldStatus::kHeld:
      break;
    }
    if (!h.ActiveAt(now)) {
      throw LedgerError(ErrorCode::kInvalidState, "hold " + id + " has expired",
                        "Its timeout passed and the credits it reserved went "
                        "back to the wallet.");
    }
    return h;
  }
  throw LedgerError(ErrorCode::kNotFound, "hold " + id + " does not exist");
}

HoldPlan PlanHold(const TimedWallet& wallet, Micros now, std::int64_t amount,
                  std::int64_t hold_id, Micros expires_at) {
  CheckPositive(amount, "amount");
  WalletWork work(wallet);
  work.RepayDebt(now, std::nullopt);
  // Reserve what a consume of `amount` would draw; what no block covers is
  // judged by the policy exactly as that consume's debt would be.
  std::vector<std::size_t> index;
  const std::vector<OpenGrant> open = work.Open(index);
  WalletState state =
      PlannerState(open, work.wallet().debt, work.wallet().policy,
                   work.wallet().scale, work.wallet().order);
  state.policy = work.PolicyWithHolds(now);
  const ConsumePlan plan = PlanConsume(state, now, amount);

  HoldPlan p;
  p.hold.hold_id = hold_id;
  p.hold.amount = amount;
  p.hold.expires_at = expires_at;
  for (const Draw& d : plan.draws) {
    Block& b = work.edit().blocks[index[d.index]];
    b.row.remaining -= d.amount;
    b.held = AddUnits(b.held, d.amount, "held");
    work.TouchBlock(b.row.grant_id);
    p.hold.reserved.push_back(Reservation{b.row.grant_id, d.amount});
  }
  if (plan.uncovered > 0) {
    p.hold.reserved.push_back(Reservation{std::nullopt, plan.uncovered});
  }
  work.edit().holds.push_back(p.hold);
  work.TouchHold(hold_id);
  p.change = std::move(work).Finish();
  p.available_after = AvailableBalance(p.change.wallet, now);
  return p;
}

CapturePlan PlanCapture(const TimedWallet& wallet, Micros now,
                        std::int64_t hold_id,
                        std::optional<std::int64_t> amount) {
  const Hold& open = CheckHoldOpen(wallet, now, hold_id);
  const std::int64_t wanted = amount.value_or(open.amount);
  CheckPositive(wanted, "capture amount");

  WalletWork work(wallet);
  Hold& hold = *work.FindHold(hold_id);
  CapturePlan p;
  // The held credits are used in the order they were reserved, from the
  // blocks that reserved them, even if those lapsed or were voided since.
  std::int64_t left = std::min(wanted, hold.amount);
  std::int64_t overdraft = 0;
  std::vector<Reservation> rest;
  for (const Reservation& r : hold.reserved) {
    const std::int64_t take = std::min(left, r.amount);
    left -= take;
    if (take > 0 && r.grant_id) {
      Block& b = work.GetBlock(*r.grant_id);
      b.held -= take;
      work.TouchBlock(b.row.grant_id);
      work.Append(BlockEntry(b.row, EntryType::kUsage, -take));
    } else {
      overdraft += take;
    }
    if (r.amount > take) {
      rest.push_back(Reservation{r.grant_id, r.amount - take});
      p.released += r.amount - take;
    }
  }
  hold.status = HoldStatus::kCaptured;
  hold.captured = wanted;
  hold.closed_at = now;
  work.TouchHold(hold_id);
  if (work.ReturnReserved(rest, now, std::nullopt)) {
    work.RepayDebt(now, std::nullopt);
  }
  // The overdraft part was admitted when the hold was made.
  if (overdraft > 0) work.Consume(overdraft, now, false, EntryType::kUsage);
  if (wanted > open.amount) {
    work.Consume(wanted - open.amount, now, true, EntryType::kUsage);
  }
  p.captured = wanted;
  p.change = std::move(work).Finish();
  p.available_after = AvailableBalance(p.change.wallet, now);
  return p;
}

ReleasePlan PlanRelease(const TimedWallet& wallet, Micros now,
                        std::int64_t hold_id) {
  CheckHoldOpen(wallet, now, hold_id);
  WalletWork work(wallet);
  Hold& hold = *work.FindHold(hold_id);
  hold.status = HoldStatus::kReleased;
  hold.closed_at = now;
  work.TouchHold(hold_id);
  ReleasePlan p;
  p.released = hold.amount;
  const std::vector<Reservation> parts = hold.reserved;
  if (work.ReturnReserved(parts, now, std::nullopt)) {
    work.RepayDebt(now, std::nullopt);
  }
  p.change = std::move(work).Finish();
  p.available_after = AvailableBalance(p.change.wallet, now);
  return p;
}

WalletConsumePlan PlanWalletConsume(const TimedWallet& wallet, Micros now,
                                    std::int64_t amount, bool allow_partial) {
  CheckPositive(amount, "amount");
  WalletConsumePlan p;
  p.applied = amount;
  if (allow_partial) {
    p.applied = PartialAmount(amount, AvailableBalance(wallet, now));
  }
  WalletWork work(wallet);
  work.Consume(p.applied, now, true, EntryType::kUsage);
  p.change = std::move(work).Finish();
  p.available_after = AvailableBalance(p.change.wallet, now);
  return p;
}

}  // namespace credit_ledger
