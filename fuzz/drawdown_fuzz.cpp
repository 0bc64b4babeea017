// libFuzzer target for the drawdown planner (src/core/drawdown.hpp) and the
// consume planner built on it (src/core/plan.hpp).
//
// The input is decoded with FuzzedDataProvider into a wallet: up to 24 grants
// whose priorities, instants and amounts come from small domains (so ties,
// lapses and starts around `now` are common) or from the extremes, a debt, an
// overdraft policy and an amount. Every plan is checked against the
// contract's rules, and PlanConsume against a 128-bit model of what it must
// decide: every unit conserved, only spendable grants drawn, never more than
// they hold, in the contract's total order, only the last draw partial, the
// overdraft policy respected, remaining_after consistent, and the same plan
// whatever order the grants are read in; ConsumePlanner (the batch's
// planner) plans exactly what PlanConsume plans; and a draw-down planned
// from the first blocks in the index order (PrefixDrawDown, under either
// drawdown policy) plans exactly what PlanWalletDrawDown plans from all.
#include "amount.hpp"
#include "drafts.hpp"
#include "drawdown.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"
#include "holds.hpp"
#include "plan.hpp"
#include "prefix.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace credit_ledger::fuzz {
namespace {

using Wide = __int128;

constexpr Micros kNow = 1000 * kMicrosPerDay;
constexpr std::size_t kMaxGrants = 24;

// An instant a few microseconds around kNow, or an extreme.
Micros PickInstant(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
  case 0:
    return kNever;
  case 1:
    return std::numeric_limits<Micros>::min();
  case 2:
    return in.ConsumeIntegral<Micros>();
  default:
    return kNow + in.ConsumeIntegralInRange<Micros>(-3, 3);
  }
}

// A credit amount: small (so sums are easy to hit exactly), anywhere up to
// the bound, or at it.
std::int64_t PickUnits(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
  case 0:
    return kMaxUnits;
  case 1:
    return in.ConsumeIntegralInRange<std::int64_t>(0, kMaxUnits);
  default:
    return in.ConsumeIntegralInRange<std::int64_t>(0, 20);
  }
}

// Grants with distinct ids, as the glue reads them.
std::vector<GrantState> PickGrants(FuzzedDataProvider& in) {
  std::vector<GrantState> grants(
      in.ConsumeIntegralInRange<std::size_t>(0, kMaxGrants));
  std::set<std::int64_t> ids;
  for (GrantState& g : grants) {
    std::int64_t id = in.ConsumeIntegralInRange<std::int64_t>(1, 40);
    while (!ids.insert(id).second) ++id;
    g.grant_id = id;
    g.priority = in.ConsumeBool()
                     ? in.ConsumeIntegral<std::int32_t>()
                     : in.ConsumeIntegralInRange<std::int32_t>(0, 3);
    g.effective_at = PickInstant(in);
    g.expires_at = PickInstant(in);
    g.promotional = in.ConsumeBool();
    // Now and then a non-positive remainder, which is never spendable.
    g.remaining = in.ConsumeIntegralInRange<int>(0, 15) == 0
                      ? -in.ConsumeIntegralInRange<std::int64_t>(0, 3)
                      : PickUnits(in);
  }
  return grants;
}

// The contract's spendability, written out: effective_at <= now < expires_at
// and something left.
bool RefSpendable(const GrantState& g, Micros now) {
  return g.remaining > 0 && g.effective_at <= now && now < g.expires_at;
}

// The contract's drawdown order, rule by rule as DESIGN.md states it.
bool RefDrawsBefore(const GrantState& a, const GrantState& b) {
  if (a.priority != b.priority) return a.priority < b.priority;
  if (a.expires_at != b.expires_at) {
    if (a.expires_at == kNever) return false;  // never-expiring last
    if (b.expires_at == kNever) return true;
    return a.expires_at < b.expires_at;  // soonest expiry first
  }
  if (a.promotional != b.promotional) return a.promotional;
  if (a.effective_at != b.effective_at) return a.effective_at < b.effective_at;
  return a.grant_id < b.grant_id;
}

Wide RefSpendableTotal(const std::vector<GrantState>& grants, Micros now) {
  Wide total = 0;
  for (const GrantState& g : grants) {
    if (RefSpendable(g, now)) total += g.remaining;
  }
  return total;
}

// Checks one drawdown of `amount` from `grants` at `now` against the rules;
// returns what each grant gave.
std::vector<std::int64_t> CheckDrawdown(const std::vector<GrantState>& grants,
                                        Micros now, std::int64_t amount,
                                        const std::vector<Draw>& draws,
                                        std::int64_t drawn,
                                        std::int64_t uncovered) {
  std::vector<std::int64_t> given(grants.size(), 0);
  std::vector<bool> used(grants.size(), false);
  Wide total = 0;
  for (std::size_t k = 0; k < draws.size(); ++k) {
    const Draw& d = draws[k];
    CL_FUZZ_CHECK(d.index < grants.size());
    const GrantState& g = grants[d.index];
    CL_FUZZ_CHECK(!used[d.index]);  // each grant at most once
    used[d.index] = true;
    CL_FUZZ_CHECK(RefSpendable(g, now));
    CL_FUZZ_CHECK(IsSpendableAt(g, now));
    CL_FUZZ_CHECK(d.amount > 0 && d.amount <= g.remaining);
    if (k + 1 < draws.size()) CL_FUZZ_CHECK(d.amount == g.remaining);
    if (k > 0) CL_FUZZ_CHECK(RefDrawsBefore(grants[draws[k - 1].index], g));
    given[d.index] = d.amount;
    total += d.amount;
  }
  CL_FUZZ_CHECK(total == drawn);
  CL_FUZZ_CHECK(uncovered >= 0 && Wide{drawn} + uncovered == amount);
  const Wide spendable = RefSpendableTotal(grants, now);
  CL_FUZZ_CHECK(drawn == std::min<Wide>(amount, spendable));
  // What was drawn is a prefix of the order: every spendable grant left
  // untouched comes after the last one drawn.
  for (std::size_t i = 0; i < grants.size(); ++i) {
    if (!RefSpendable(grants[i], now) || used[i]) continue;
    CL_FUZZ_CHECK(uncovered == 0);
    if (!draws.empty()) {
      CL_FUZZ_CHECK(RefDrawsBefore(grants[draws.back().index], grants[i]));
    }
  }
  return given;
}

// DrawsBefore is the contract's order and a strict total order on distinct
// ids; IsSpendableAt is the contract's window.
void CheckOrder(const std::vector<GrantState>& grants, Micros now) {
  for (const GrantState& a : grants) {
    CL_FUZZ_CHECK(IsSpendableAt(a, now) == RefSpendable(a, now));
    CL_FUZZ_CHECK(!DrawsBefore(a, a));
    for (const GrantState& b : grants) {
      CL_FUZZ_CHECK(DrawsBefore(a, b) == RefDrawsBefore(a, b));
      if (a.grant_id != b.grant_id) {
        CL_FUZZ_CHECK(DrawsBefore(a, b) != DrawsBefore(b, a));
      }
    }
  }
}

// PlanDrawdown on its own, including a negative amount.
void CheckPlanDrawdown(const std::vector<GrantState>& grants, Micros now,
                       std::int64_t amount) {
  if (amount < 0) {
    try {
      PlanDrawdown(grants, now, amount);
    } catch (const LedgerError& e) {
      CL_FUZZ_CHECK(e.code() == ErrorCode::kInternal);
      return;
    }
    Fail(__FILE__, __LINE__, "a negative drawdown was planned");
  }
  const DrawdownPlan plan = PlanDrawdown(grants, now, amount);
  CheckDrawdown(grants, now, amount, plan.draws, plan.drawn, plan.uncovered);
}

// What PlanConsume must decide, computed in 128 bits.
struct Expected {
  std::optional<ErrorCode> error;
  Wide repaid = 0;
  Wide uncovered = 0;
  Wide debt_after = 0;
  Wide spendable_before = 0;
  Wide spendable_after = 0;
};

Expected RefConsume(const WalletState& w, Micros now, std::int64_t amount) {
  Expected x;
  if (amount < 0) {
    x.error = ErrorCode::kInternal;
    return x;
  }
  const Wide spendable = RefSpendableTotal(w.grants, now);
  x.repaid = std::min<Wide>(w.debt, spendable);
  const Wide left = spendable - x.repaid;  // spendable after the repayment
  const Wide debt = w.debt - x.repaid;
  x.uncovered = amount > left ? amount - left : 0;
  x.debt_after = debt + x.uncovered;
  x.spendable_before = left - debt;
  x.spendable_after = x.spendable_before - amount;
  if (left > kMaxUnits) {
    x.error = ErrorCode::kOutOfRange;  // more credit than a balance can hold
  } else if (x.uncovered > 0 && w.policy.limit &&
             x.debt_after > *w.policy.limit) {
    x.error = ErrorCode::kInsufficientCredits;  // the policy says no
  } else if (x.debt_after > kMaxUnits || x.spendable_after < -kMaxUnits) {
    x.error = ErrorCode::kOutOfRange;  // unlimited debt past the bound
  }
  return x;
}

// PlanConsume against the model and the drawdown rules; returns the plan's
// remaining_after keyed by grant id (empty when it threw).
std::map<std::int64_t, std::int64_t>
CheckPlanConsume(const WalletState& w, Micros now, std::int64_t amount) {
  const Expected x = RefConsume(w, now, amount);
  std::optional<ConsumePlan> plan;
  try {
    plan = PlanConsume(w, now, amount);
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(x.error.has_value() && e.code() == *x.error);
    CL_FUZZ_CHECK(WellFormed(e));
    return {};
  }
  CL_FUZZ_CHECK(!x.error.has_value());
  const ConsumePlan& p = *plan;

  // The repayment is a drawdown of the debt from the grants as they were...
  Wide repaid = 0;
  for (const Draw& d : p.repayments) repaid += d.amount;
  CL_FUZZ_CHECK(repaid == x.repaid);
  const std::int64_t debt = w.debt;
  const std::vector<std::int64_t> settled = CheckDrawdown(
      w.grants, now, debt, p.repayments, static_cast<std::int64_t>(repaid),
      static_cast<std::int64_t>(Wide{debt} - repaid));
  // ...and the consume a drawdown of the amount from what the repayment left.
  std::vector<GrantState> after_repayment = w.grants;
  for (std::size_t i = 0; i < after_repayment.size(); ++i) {
    after_repayment[i].remaining -= settled[i];
  }
  Wide drawn = 0;
  for (const Draw& d : p.draws) drawn += d.amount;
  CL_FUZZ_CHECK(p.uncovered == x.uncovered);
  const std::vector<std::int64_t> used =
      CheckDrawdown(after_repayment, now, amount, p.draws,
                    static_cast<std::int64_t>(drawn), p.uncovered);

  CL_FUZZ_CHECK(drawn + p.uncovered == amount);  // every unit accounted for
  CL_FUZZ_CHECK(p.debt_after == x.debt_after);
  CL_FUZZ_CHECK(p.spendable_before == x.spendable_before);
  CL_FUZZ_CHECK(p.spendable_after == x.spendable_after);
  if (p.uncovered > 0) {
    CL_FUZZ_CHECK(!w.policy.limit || p.debt_after <= *w.policy.limit);
  }

  std::map<std::int64_t, std::int64_t> by_id;
  CL_FUZZ_CHECK(p.remaining_after.size() == w.grants.size());
  for (std::size_t i = 0; i < w.grants.size(); ++i) {
    const GrantState& g = w.grants[i];
    CL_FUZZ_CHECK(p.remaining_after[i] == g.remaining - settled[i] - used[i]);
    if (RefSpendable(g, now)) {
      CL_FUZZ_CHECK(p.remaining_after[i] >= 0);
    } else {
      CL_FUZZ_CHECK(p.remaining_after[i] == g.remaining);
    }
    by_id[g.grant_id] = p.remaining_after[i];
  }
  return by_id;
}

// SpendableRemaining and SpendableBalance against the model.
void CheckBalances(const WalletState& w, Micros now) {
  const Wide total = RefSpendableTotal(w.grants, now);
  if (total > kMaxUnits) {
    try {
      SpendableRemaining(w.grants, now);
    } catch (const LedgerError& e) {
      CL_FUZZ_CHECK(e.code() == ErrorCode::kOutOfRange);
      return;
    }
    Fail(__FILE__, __LINE__, "a spendable total past the bound was returned");
  }
  CL_FUZZ_CHECK(SpendableRemaining(w.grants, now) == total);
  CL_FUZZ_CHECK(SpendableBalance(w, now) == total - w.debt);
}

// A wallet's scale, debt and overdraft policy; its grants come later.
WalletState PickWallet(FuzzedDataProvider& in) {
  WalletState w;
  w.scale = in.ConsumeIntegralInRange<int>(0, kMaxScale);
  w.debt = in.ConsumeBool() ? 0 : PickUnits(in);
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
  case 0:
    w.policy.limit = 0;
    break;
  case 1:
    w.policy.limit.reset();
    break;
  default:
    w.policy.limit = PickUnits(in);
  }
  return w;
}

// ConsumePlanner (the batch's planner) plans the same, or refuses the same.
void CheckPlannerAgrees(const WalletState& w, Micros now, std::int64_t amount) {
  std::optional<ConsumePlan> direct;
  std::optional<ErrorCode> direct_error;
  try {
    direct = PlanConsume(w, now, amount);
  } catch (const LedgerError& e) {
    direct_error = e.code();
  }
  try {
    ConsumePlanner planner(w, now);
    const ConsumePlan p = planner.Plan(amount);
    CL_FUZZ_CHECK(direct.has_value());
    CL_FUZZ_CHECK(p.draws.size() == direct->draws.size());
    for (std::size_t i = 0; i < p.draws.size(); ++i) {
      CL_FUZZ_CHECK(p.draws[i].index == direct->draws[i].index &&
                    p.draws[i].amount == direct->draws[i].amount);
    }
    CL_FUZZ_CHECK(p.repayments.size() == direct->repayments.size());
    CL_FUZZ_CHECK(p.uncovered == direct->uncovered &&
                  p.debt_after == direct->debt_after &&
                  p.spendable_before == direct->spendable_before &&
                  p.spendable_after == direct->spendable_after &&
                  p.emptied == direct->emptied);
    planner.Apply(p);
    for (std::size_t i = 0; i < w.grants.size(); ++i) {
      CL_FUZZ_CHECK(planner.state().grants[i].remaining ==
                    direct->remaining_after[i]);
    }
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(direct_error.has_value() && e.code() == *direct_error);
  }
}

// Draws by grant id, for plans over different inputs.
std::vector<std::pair<std::int64_t, std::int64_t>>
DrawsById(const std::vector<Draw>& draws, const std::vector<OpenGrant>& from) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const Draw& d : draws) {
    CL_FUZZ_CHECK(d.index < from.size());
    out.emplace_back(from[d.index].state.grant_id, d.amount);
  }
  return out;
}

// The plan from the blocks PrefixDrawDown read is the plan from all of them.
void CheckSamePlan(const DrawDownPlan& p, const std::vector<OpenGrant>& read,
                   const DrawDownPlan& a, const std::vector<OpenGrant>& all) {
  CL_FUZZ_CHECK(DrawsById(p.plan.repayments, read) ==
                DrawsById(a.plan.repayments, all));
  CL_FUZZ_CHECK(DrawsById(p.plan.draws, read) == DrawsById(a.plan.draws, all));
  CL_FUZZ_CHECK(p.plan.uncovered == a.plan.uncovered &&
                p.plan.debt_after == a.plan.debt_after &&
                p.plan.spendable_before == a.plan.spendable_before &&
                p.plan.spendable_after == a.plan.spendable_after &&
                p.amount == a.amount);
  CL_FUZZ_CHECK(p.plan.emptied.size() == a.plan.emptied.size());
  for (std::size_t i = 0; i < p.plan.emptied.size(); ++i) {
    CL_FUZZ_CHECK(read[p.plan.emptied[i]].state.grant_id ==
                  all[a.plan.emptied[i]].state.grant_id);
  }
  CL_FUZZ_CHECK(p.drafts.size() == a.drafts.size());
  for (std::size_t i = 0; i < p.drafts.size(); ++i) {
    CL_FUZZ_CHECK(p.drafts[i].type == a.drafts[i].type &&
                  p.drafts[i].amount == a.drafts[i].amount &&
                  p.drafts[i].grant_id == a.drafts[i].grant_id);
  }
  // Every block the full plan changed was read, and changed the same way.
  std::map<std::int64_t, std::int64_t> after;
  for (std::size_t i = 0; i < read.size(); ++i)
    after[read[i].state.grant_id] = p.plan.remaining_after[i];
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto it = after.find(all[i].state.grant_id);
    if (it != after.end()) {
      CL_FUZZ_CHECK(it->second == a.plan.remaining_after[i]);
    } else {
      CL_FUZZ_CHECK(a.plan.remaining_after[i] == all[i].state.remaining);
    }
  }
}

// A draw-down read from the blocks in grants_drawdown_idx's order, stopped
// where PrefixDrawDown says, plans what PlanWalletDrawDown plans on every
// block, or refuses the same: under either policy, with debt, allow_partial
// and credits holds reserve against the overdraft allowance. The ledger's
// available balance is what the blocks say (a wallet past the bound has
// none to read).
void CheckPrefixAgrees(const WalletState& base, Micros now, std::int64_t units,
                       FuzzedDataProvider& in) {
  if (units <= 0 || units > kMaxUnits) return;  // the glue never asks
  WalletState w = base;
  w.order = in.ConsumeBool() ? DrawdownPolicy::kPromotionalFirst
                             : DrawdownPolicy::kExpiryFirst;
  const bool partial = in.ConsumeBool();
  const std::int64_t reserved = in.ConsumeIntegralInRange<std::int64_t>(0, 9);
  std::vector<OpenGrant> all;
  for (const GrantState& g : w.grants) all.push_back(OpenGrant{g, "1", {}});
  std::sort(all.begin(), all.end(), [](const OpenGrant& a, const OpenGrant& b) {
    return DrawsBefore(a.state, b.state);
  });
  const Wide spendable = RefSpendableTotal(w.grants, now);
  const Wide available = spendable - w.debt - reserved;
  if (spendable > kMaxUnits || available < -kMaxUnits) return;

  std::optional<DrawDownPlan> full;
  std::optional<ErrorCode> full_error;
  try {
    full = PlanWalletDrawDown(
        all, PlannerState(all, w.debt, w.policy, w.scale, w.order), now, units,
        EntryType::kUsage, partial, reserved);
  } catch (const LedgerError& e) {
    full_error = e.code();
  }
  WalletState bare = w;
  bare.grants.clear();
  PrefixDrawDown read(bare, now, units, EntryType::kUsage, partial, reserved,
                      static_cast<std::int64_t>(available));
  std::size_t taken = 0;
  while (taken < all.size() && !read.Decided()) read.Take(all[taken++]);
  try {
    const DrawDownPlan p = read.Plan();
    CL_FUZZ_CHECK(full.has_value());
    CheckSamePlan(p, read.grants(), *full, all);
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(full_error.has_value() && e.code() == *full_error);
  }
}

}  // namespace
}  // namespace credit_ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace credit_ledger;
  using namespace credit_ledger::fuzz;
  FuzzedDataProvider in(data, size);
  WalletState w = PickWallet(in);
  const Micros now = in.ConsumeIntegralInRange<int>(0, 15) == 0
                         ? PickInstant(in)
                         : kNow + in.ConsumeIntegralInRange<Micros>(-2, 2);
  std::int64_t amount = PickUnits(in);
  switch (in.ConsumeIntegralInRange<int>(0, 31)) {
  case 0:
    amount = -amount - 1;  // the glue never asks; the planner must refuse
    break;
  case 1:
    amount = in.ConsumeIntegral<std::int64_t>();  // past the bound
    break;
  default:
    break;
  }
  w.grants = PickGrants(in);

  CheckOrder(w.grants, now);
  CheckPlanDrawdown(w.grants, now, amount);
  CheckBalances(w, now);
  const auto by_id = CheckPlanConsume(w, now, amount);

  // The plan depends on the grants, not on the order they were read in.
  WalletState shuffled = w;
  std::reverse(shuffled.grants.begin(), shuffled.grants.end());
  if (!shuffled.grants.empty()) {
    std::rotate(shuffled.grants.begin(),
                shuffled.grants.begin() +
                    in.ConsumeIntegralInRange<std::size_t>(
                        0, shuffled.grants.size() - 1),
                shuffled.grants.end());
  }
  CL_FUZZ_CHECK(CheckPlanConsume(shuffled, now, amount) == by_id);

  CheckPlannerAgrees(w, now, amount);
  CheckPrefixAgrees(w, now, amount, in);
  return 0;
}
