// Adding a credit block (credit_grant, a positive credit_adjust): when it
// starts, the row it becomes, its opening entry and the repayment of
// outstanding debt it implies. The glue reads the wallet (and, only when
// there is debt, its open grants), calls PlanBlock and writes what it returns.
#pragma once

#include "drafts.hpp"
#include "plan.hpp"
#include "time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// A new credit block as asked for; ids, remaining and entries are derived.
struct BlockSpec {
  std::string kind = "grant";  // grant or adjustment
  EntryType opening = EntryType::kGrant;
  bool promotional = false;
  std::int32_t priority = 50;
  std::optional<std::string> cost_basis;
  std::optional<Micros> effective_at;  // default: now
  std::optional<Micros> expires_at;
};

// A new credit block as stored in credit_ledger.grants (its metadata aside,
// which the glue passes through).
struct NewGrant : GrantTerms {
  std::optional<Micros> expires_at;
  std::optional<std::string> reason;
  std::optional<std::string> source_id;
  std::string kind = "grant";  // grant, adjustment or reversal
  std::int64_t operation_id = 0;
};

// Whether a grant row is open (credit_ledger.grants.open, the flag the
// consume path's index reads): it still holds credits and has been neither
// voided nor expired by the sweep. A lapsed grant the sweep has not reached
// yet is still open. The one rule every writer and credit_verify apply.
constexpr bool IsOpen(std::int64_t remaining, bool voided, bool expired) {
  return remaining > 0 && !voided && !expired;
}
inline bool IsOpen(const GrantRow& grant) {
  return IsOpen(grant.remaining, grant.voided_at.has_value(),
                grant.expired_at.has_value());
}

// When a block asked for at `now` starts: its effective_at, defaulting to
// now. 22023 when it could never be spent (expires_at not after
// effective_at, or already past). Checked before the wallet is read.
Micros BlockEffectiveAt(const BlockSpec& spec, Micros now);

// The row of block `grant_id` of `units` asked for by `spec`, starting at
// `effective_at` (reason and source_id left empty).
NewGrant BlockRow(const BlockSpec& spec, std::int64_t units,
                  std::int64_t grant_id, Micros effective_at);

// What PlanBlock reads: the wallet's debt and policy and, when it has debt,
// its open grants; without debt, its spendable balance instead; and what
// its active holds reserve against the overdraft allowance (the blocks'
// remaining already excludes what holds reserve from them).
struct BlockInput {
  std::vector<OpenGrant> open;  // read only when debt > 0
  std::int64_t debt = 0;
  OverdraftPolicy policy;
  int scale = 0;
  std::int64_t spendable_before = 0;  // used only when debt == 0
  Micros now = 0;
  DrawdownPolicy order = DrawdownPolicy::kExpiryFirst;  // drawdown_order
  std::int64_t reserved_overdraft = 0;  // wallets.held_overdraft
};

struct BlockPlan {
  NewGrant grant;                    // operation_id left for the glue
  std::vector<EntryDraft> drafts;    // the opening entry, then repayments
  std::int64_t spendable_after = 0;  // the blocks' spendable credits less debt
  // The available balance after it: spendable_after less what holds
  // reserve against the overdraft allowance. What the operation returns and
  // stores, and what its events carry (credit_balance's figure).
  std::int64_t available_after = 0;
  // The grants planned: input.open, then the new block.
  WalletState planned;
  // The debt repayment (empty without debt): remaining_after and emptied
  // index `planned.grants`.
  ConsumePlan settle;

  // remaining_after of input.open, the new block left out (for the update).
  std::vector<std::int64_t> OpenRemainingAfter() const;
};

// The block, its opening entry and - for a block spendable now - the
// repayment of outstanding debt from what is spendable, the block included.
BlockPlan PlanBlock(const BlockInput& input, const BlockSpec& spec,
                    std::int64_t units, std::int64_t grant_id,
                    const std::optional<std::string>& reason,
                    const std::optional<std::string>& source_id);

// What credit_adjust's signed `amount` (decimal text) does: a positive one
// adds AdjustmentBlock(), a negative one draws `magnitude` down in
// adjustment entries. 22023 for zero.
struct Adjustment {
  bool adds = false;
  std::string magnitude;  // the amount without its sign
};
Adjustment ReadAdjustment(const std::string& amount);

// The block a positive adjustment adds.
BlockSpec AdjustmentBlock();

}  // namespace credit_ledger
