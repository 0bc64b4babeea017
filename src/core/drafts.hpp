// The entries an operation's plan implies, before the ledger numbers them:
// the grants as the planners see them, and the entry drafts built from a
// plan. The glue appends the drafts in order (deriving seq, balance_after,
// value and the hash chain) and writes nothing it did not get from here.
#pragma once

#include "drawdown.hpp"
#include "entry.hpp"
#include "plan.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// A grant that still holds credits (open), as the planners and writers need
// it. `row` locates the stored row it was read from (the glue's opaque
// handle, for the update); nullopt for a grant not read from the table.
struct OpenGrant {
  GrantState state;
  std::optional<std::string> cost_basis;  // exact numeric text
  std::optional<std::uint64_t> row;
};

// What every stored grant row holds, new or read.
struct GrantTerms {
  std::int64_t grant_id = 0;
  std::int64_t amount = 0;
  std::int64_t remaining = 0;
  bool promotional = false;
  std::int32_t priority = 50;
  std::optional<std::string> cost_basis;
  Micros effective_at = 0;
};

// A grant's full state, for lifecycle changes (void, expiry, reversal).
struct GrantRow : GrantTerms {
  Micros expires_at = kNever;
  std::optional<Micros> voided_at;
  std::optional<Micros> expired_at;
  std::int64_t expired_amount = 0;
  std::int64_t voided_amount = 0;

  // Credits put back onto a voided or lapsed grant cannot be spent: they
  // leave again at once.
  bool Lapsed(Micros now) const {
    return voided_at || expired_at || expires_at <= now;
  }

  // The grant as the planner sees it.
  OpenGrant AsOpen() const;
};

// One entry to append; seq, balance_after, value and hash are derived.
struct EntryDraft {
  EntryType type = EntryType::kUsage;
  std::int64_t amount = 0;
  std::optional<std::int64_t> grant_id;
  std::optional<bool> promotional;
  std::optional<std::string> cost_basis;
  std::optional<Micros> occurred_at;  // overrides the operation's
};

// The planner's view of a wallet with these open grants, drawn in `order`
// (the wallet's drawdown_order).
WalletState PlannerState(const std::vector<OpenGrant>& grants,
                         std::int64_t debt, const OverdraftPolicy& policy,
                         int scale,
                         DrawdownPolicy order = DrawdownPolicy::kExpiryFirst);

// Entries for draws from grants (usage, adjustment...), negative amounts.
void AddDrawEntries(std::vector<EntryDraft>& drafts,
                    const std::vector<OpenGrant>& grants,
                    const std::vector<Draw>& draws, EntryType type);

// A repayment pair per draw: credits leave the grant and settle debt.
void AddRepaymentEntries(std::vector<EntryDraft>& drafts,
                         const std::vector<OpenGrant>& grants,
                         const std::vector<Draw>& draws);

// The entries of a consume plan: repayments of earlier debt, the draws from
// `grants`, then what no grant covered as new debt.
std::vector<EntryDraft> ConsumeDrafts(const std::vector<OpenGrant>& grants,
                                      const ConsumePlan& plan, EntryType type);

// The amount a draw-down operation records (its result and the operations
// row) for `units` drawn in `type` entries: a consume records the credits
// it used (positive), a negative adjustment its signed change (negative).
std::int64_t DrawDownAmount(EntryType type, std::int64_t units);

// A draw-down: credit_consume (usage entries) or a negative credit_adjust
// (adjustment entries).
struct DrawDownPlan {
  WalletState state;  // the wallet as planned: plan.emptied indexes its grants
  ConsumePlan plan;
  std::vector<EntryDraft> drafts;
  std::int64_t amount = 0;  // DrawDownAmount
  // The available balance after it: plan.spendable_after less what active
  // holds reserve against the overdraft allowance (PlanWalletDrawDown's
  // reserved_overdraft; PlanDrawDown knows of none). What the operation
  // returns and stores, and what its events judge.
  std::int64_t available_after = 0;
};

// Draws `units` from `grants` (the wallet's open grants; `state`: the
// planner's view of them and the wallet) at `now`, repaying outstanding debt
// first; LG001 when the policy does not admit what remains uncovered.
DrawDownPlan PlanDrawDown(const std::vector<OpenGrant>& grants,
                          WalletState state, Micros now, std::int64_t units,
                          EntryType type);

}  // namespace credit_ledger
