// Reversing a consume (credit_reverse): the credits PlanReversal splits go
// back onto the grants they came from (and out again at once if the grant
// has since lapsed), onto the debt, or - for debt later grants already
// repaid - into a new block; then the restored credit repays outstanding
// debt like any new credit. The glue reads the restored grants and the open
// ones, takes a new block's id when ReversalBlockCredits says one is needed,
// calls PlanReverse and writes what it returns.
#pragma once

#include "drafts.hpp"
#include "grant.hpp"
#include "plan.hpp"
#include "time.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {

// LG006 unless the operation is a consume.
void CheckReversible(std::int64_t operation_id,
                     const std::string& operation_type);

// The credits of `restorations` the wallet's `debt` cannot take back: they
// become a new block (a consume has at most one debt portion). 0: none.
std::int64_t ReversalBlockCredits(const std::vector<Restoration>& restorations,
                                  std::int64_t debt);

struct ReversalInput {
  std::vector<Restoration> restorations;
  std::map<std::int64_t, GrantRow> restored;  // each restored grant, as read
  std::vector<OpenGrant> open;                // the wallet's open grants
  std::int64_t debt = 0;
  OverdraftPolicy policy;
  int scale = 0;
  Micros now = 0;
  DrawdownPolicy order = DrawdownPolicy::kExpiryFirst;  // drawdown_order
  std::optional<std::int64_t> new_block_id;  // when ReversalBlockCredits > 0
  std::optional<std::string> reason;
};

struct ReversalPlan {
  std::int64_t amount = 0;         // the credits restored
  std::vector<EntryDraft> drafts;  // restorations, lapses, then repayments
  std::map<std::int64_t, GrantRow> restored;  // the grants to save
  std::optional<NewGrant> new_block;          // to insert (operation_id: glue)
  std::vector<OpenGrant> others;              // other grants the repayment drew
  std::vector<std::int64_t> others_after;     // from, and what they keep
  WalletState planned;                        // the grants the repayment saw
  ConsumePlan settle;
};

ReversalPlan PlanReverse(const ReversalInput& input);

}  // namespace credit_ledger
