#include "drawdown.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "validate.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {

bool IsSpendableAt(const GrantState& grant, Micros now) {
  return grant.remaining > 0 && grant.effective_at <= now &&
         now < grant.expires_at;
}

bool DrawsBefore(const GrantState& a, const GrantState& b) {
  // Promotional sorts first, so compare the negation.
  return std::make_tuple(a.priority, a.expires_at, !a.promotional,
                         a.effective_at, a.grant_id) <
         std::make_tuple(b.priority, b.expires_at, !b.promotional,
                         b.effective_at, b.grant_id);
}

DrawdownPolicy ParseDrawdownPolicy(std::string_view name) {
  if (name == "expiry_first") return DrawdownPolicy::kExpiryFirst;
  if (name == "promotional_first") return DrawdownPolicy::kPromotionalFirst;
  throw LedgerError(ErrorCode::kInvalidParameter,
                    "drawdown_order must be expiry_first or promotional_first",
                    "The value given was \"" + Abbreviated(name) + "\".");
}

std::string_view DrawdownPolicyName(DrawdownPolicy policy) {
  return policy == DrawdownPolicy::kPromotionalFirst ? "promotional_first"
                                                     : "expiry_first";
}

bool DrawsBeforeUnder(const GrantState& a, const GrantState& b,
                      DrawdownPolicy policy) {
  if (policy == DrawdownPolicy::kExpiryFirst) return DrawsBefore(a, b);
  return std::make_tuple(a.priority, !a.promotional, a.expires_at,
                         a.effective_at, a.grant_id) <
         std::make_tuple(b.priority, !b.promotional, b.expires_at,
                         b.effective_at, b.grant_id);
}

std::int64_t SpendableRemaining(const std::vector<GrantState>& grants,
                                Micros now) {
  std::int64_t total = 0;
  for (const GrantState& g : grants) {
    if (IsSpendableAt(g, now)) total = AddUnits(total, g.remaining);
  }
  return total;
}

std::vector<std::size_t> DrawdownOrder(const std::vector<GrantState>& grants,
                                       Micros now) {
  return DrawdownOrder(grants, now, DrawdownPolicy::kExpiryFirst);
}

std::vector<std::size_t> DrawdownOrder(const std::vector<GrantState>& grants,
                                       Micros now, DrawdownPolicy policy) {
  std::vector<std::size_t> order;
  order.reserve(grants.size());
  for (std::size_t i = 0; i < grants.size(); ++i) {
    if (IsSpendableAt(grants[i], now)) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return DrawsBeforeUnder(grants[x], grants[y], policy);
  });
  return order;
}

DrawdownPlan PlanDrawdown(const std::vector<GrantState>& grants, Micros now,
                          std::int64_t amount) {
  return PlanDrawdown(grants, now, amount, DrawdownPolicy::kExpiryFirst);
}

DrawdownPlan PlanDrawdown(const std::vector<GrantState>& grants, Micros now,
                          std::int64_t amount, DrawdownPolicy policy) {
  if (amount < 0) {
    throw LedgerError(ErrorCode::kInternal,
                      "drawdown of a negative amount was planned");
  }
  DrawdownPlan plan;
  std::int64_t left = amount;
  for (std::size_t i : DrawdownOrder(grants, now, policy)) {
    if (left == 0) break;
    const std::int64_t take = std::min(left, grants[i].remaining);
    plan.draws.push_back(Draw{i, take});
    plan.drawn += take;
    left -= take;
  }
  plan.uncovered = left;
  return plan;
}

void CheckOverdraft(const OverdraftPolicy& policy, std::int64_t debt_after,
                    std::int64_t available, std::int64_t requested, int scale) {
  if (debt_after <= 0 || !policy.limit.has_value() ||
      debt_after <= *policy.limit) {
    return;
  }
  std::string detail = "The spendable balance is " +
                       FormatAmount(available, scale) + " and " +
                       FormatAmount(requested, scale) + " was requested";
  if (*policy.limit > 0) {
    detail += "; the overdraft limit is " + FormatAmount(*policy.limit, scale);
  }
  detail += ".";
  throw LedgerError(ErrorCode::kInsufficientCredits, "insufficient credits",
                    detail);
}

void RefuseWithoutWallet(const std::string& customer_id,
                         const std::string& credit_type,
                         const std::string& amount, int scale) {
  ParseAmount(amount, scale);
  throw LedgerError(ErrorCode::kInsufficientCredits, "insufficient credits",
                    "Customer \"" + customer_id + "\" has no " + credit_type +
                        " wallet.");
}

}  // namespace credit_ledger
