// The drawdown order and the allocation of a deduction across credit blocks.
// This is the one place that decides which credits are spent: the glue only
// reads grants and writes what the plan says.
#pragma once

#include "time.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace credit_ledger {

// What the planner needs to know of one credit block (amounts in units).
struct GrantState {
  std::int64_t grant_id = 0;
  std::int32_t priority = 50;
  Micros effective_at = 0;
  Micros expires_at = kNever;
  bool promotional = false;
  std::int64_t remaining = 0;
};

// Spendable while effective_at <= now < expires_at and something remains.
// Voided and swept grants are never handed to the planner.
bool IsSpendableAt(const GrantState& grant, Micros now);

// The contract's total order: priority ascending; soonest expiry first, never-
// expiring last; promotional before paid; effective_at ascending; grant id.
bool DrawsBefore(const GrantState& a, const GrantState& b);

// A wallet's draw-down policy (credit_wallet_configure's drawdown_order).
// kExpiryFirst is the order above and the default; kPromotionalFirst (Monk's
// "bonus first") moves promotional before paid right after priority, ahead
// of expiry; the remaining tie-breakers are unchanged.
enum class DrawdownPolicy { kExpiryFirst, kPromotionalFirst };

// 'expiry_first' or 'promotional_first'; 22023 (naming both) otherwise.
DrawdownPolicy ParseDrawdownPolicy(std::string_view name);

// The stored name of a policy.
std::string_view DrawdownPolicyName(DrawdownPolicy policy);

// The order of `policy`; kExpiryFirst is DrawsBefore(a, b).
bool DrawsBeforeUnder(const GrantState& a, const GrantState& b,
                      DrawdownPolicy policy);

// One deduction from one grant; `index` points into the planner's input.
struct Draw {
  std::size_t index = 0;
  std::int64_t amount = 0;
};

struct DrawdownPlan {
  std::vector<Draw> draws;     // in drawdown order, each amount > 0
  std::int64_t drawn = 0;      // sum of the draws
  std::int64_t uncovered = 0;  // what no spendable grant could cover
};

// Sum of the remaining credits spendable at `now`.
std::int64_t SpendableRemaining(const std::vector<GrantState>& grants,
                                Micros now);

// The indices of the grants spendable at `now`, in drawdown order.
std::vector<std::size_t> DrawdownOrder(const std::vector<GrantState>& grants,
                                       Micros now);

// The same under `policy`.
std::vector<std::size_t> DrawdownOrder(const std::vector<GrantState>& grants,
                                       Micros now, DrawdownPolicy policy);

// Draws up to `amount` from the grants spendable at `now`, in drawdown order.
// `grants` may come in any order; what they cannot cover is `uncovered`.
DrawdownPlan PlanDrawdown(const std::vector<GrantState>& grants, Micros now,
                          std::int64_t amount);

// The same under `policy`.
DrawdownPlan PlanDrawdown(const std::vector<GrantState>& grants, Micros now,
                          std::int64_t amount, DrawdownPolicy policy);

// A wallet's debt policy: overdraft_limit 0 is a hard limit, a positive value
// allows debt up to it, nullopt allows unlimited debt.
struct OverdraftPolicy {
  std::optional<std::int64_t> limit = 0;
};

// Throws LG001 (insufficient credits) unless the policy admits a debt of
// `debt_after`. `available` and `requested` are only used in the message.
void CheckOverdraft(const OverdraftPolicy& policy, std::int64_t debt_after,
                    std::int64_t available, std::int64_t requested, int scale);

// The refusal of a draw-down on a wallet that does not exist: LG001 naming
// the customer and credit type, once `amount` has been checked against the
// credit type's `scale` (22023 or 22003 first, as for an existing wallet).
[[noreturn]] void RefuseWithoutWallet(const std::string& customer_id,
                                      const std::string& credit_type,
                                      const std::string& amount, int scale);

}  // namespace credit_ledger
