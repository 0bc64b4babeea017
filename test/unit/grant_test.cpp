#include "error.hpp"
#include "grant.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

constexpr Micros kNow = 500 * kMicrosPerDay;

// The open flag (grants.open) in every combination of its three inputs.
TEST(IsOpen, HoldsCreditsAndNeitherVoidedNorExpired) {
  EXPECT_TRUE(IsOpen(1, false, false));
  EXPECT_FALSE(IsOpen(0, false, false));
  EXPECT_FALSE(IsOpen(-1, false, false));
  EXPECT_FALSE(IsOpen(1, true, false));
  EXPECT_FALSE(IsOpen(1, false, true));
  EXPECT_FALSE(IsOpen(1, true, true));
  GrantRow g;
  g.remaining = 5;
  g.expires_at = 0;  // lapsed but not swept: still open
  EXPECT_TRUE(IsOpen(g));
  g.expired_at = 1;
  EXPECT_FALSE(IsOpen(g));
  g.expired_at.reset();
  g.voided_at = 1;
  EXPECT_FALSE(IsOpen(g));
}

TEST(ReadAdjustment, SignDecidesTheOperation) {
  const Adjustment add = ReadAdjustment("2.50");
  EXPECT_TRUE(add.adds);
  EXPECT_EQ(add.magnitude, "2.50");
  const Adjustment take = ReadAdjustment("-2.50");
  EXPECT_FALSE(take.adds);
  EXPECT_EQ(take.magnitude, "2.50");
  try {
    ReadAdjustment("0.00");
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
    EXPECT_EQ(e.message(), "amount must not be zero");
  }
  const BlockSpec spec = AdjustmentBlock();
  EXPECT_EQ(spec.kind, "adjustment");
  EXPECT_EQ(spec.opening, EntryType::kAdjustment);
  EXPECT_FALSE(spec.promotional);
  EXPECT_EQ(spec.priority, 50);
}

TEST(BlockEffectiveAt, RefusesABlockThatCouldNeverBeSpent) {
  BlockSpec spec;
  EXPECT_EQ(BlockEffectiveAt(spec, kNow), kNow);
  spec.effective_at = kNow + 10;
  spec.expires_at = kNow + 10;
  EXPECT_THROW(BlockEffectiveAt(spec, kNow), LedgerError);
  spec.effective_at.reset();
  spec.expires_at = kNow;
  EXPECT_THROW(BlockEffectiveAt(spec, kNow), LedgerError);
  spec.expires_at = kNow + 1;
  EXPECT_EQ(BlockEffectiveAt(spec, kNow), kNow);
}

TEST(PlanBlock, WithoutDebtAddsToTheSpendableBalance) {
  BlockInput in;
  in.now = kNow;
  in.spendable_before = 5;
  BlockSpec spec;
  spec.cost_basis = "0.5";
  const BlockPlan p =
      PlanBlock(in, spec, 100, 9, std::string("paid"), std::nullopt);
  EXPECT_EQ(p.spendable_after, 105);
  EXPECT_EQ(p.grant.grant_id, 9);
  EXPECT_EQ(p.grant.remaining, 100);
  EXPECT_EQ(p.grant.reason, "paid");
  EXPECT_EQ(p.grant.effective_at, kNow);
  ASSERT_EQ(p.drafts.size(), 1u);
  EXPECT_EQ(p.drafts[0].type, EntryType::kGrant);
  EXPECT_EQ(p.drafts[0].amount, 100);
  EXPECT_EQ(p.drafts[0].cost_basis, "0.5");
  EXPECT_EQ(p.drafts[0].occurred_at, kNow);
  EXPECT_TRUE(p.OpenRemainingAfter().empty());

  spec.effective_at = kNow + 1;  // scheduled: not spendable yet
  EXPECT_EQ(PlanBlock(in, spec, 100, 9, {}, {}).spendable_after, 5);
}

TEST(PlanBlock, RepaysDebtFromTheBlock) {
  BlockInput in;
  in.now = kNow;
  in.debt = 30;
  in.policy.limit = 100;
  OpenGrant scheduled;
  scheduled.state.grant_id = 1;
  scheduled.state.remaining = 50;
  scheduled.state.effective_at = kNow + 5;
  scheduled.row = 42;
  in.open = {scheduled};
  BlockSpec spec;
  spec.kind = "adjustment";
  spec.opening = EntryType::kAdjustment;
  const BlockPlan p = PlanBlock(in, spec, 20, 2, {}, {});
  EXPECT_EQ(p.spendable_after, -10);
  EXPECT_EQ(p.grant.remaining, 0);
  EXPECT_EQ(p.grant.kind, "adjustment");
  EXPECT_EQ(p.OpenRemainingAfter(), (std::vector<std::int64_t>{50}));
  ASSERT_EQ(p.drafts.size(), 3u);
  EXPECT_EQ(p.drafts[0].type, EntryType::kAdjustment);
  EXPECT_EQ(p.drafts[1].type, EntryType::kRepayment);
  EXPECT_EQ(p.drafts[1].amount, -20);
  EXPECT_EQ(p.drafts[1].grant_id, 2);
  EXPECT_EQ(p.drafts[2].amount, 20);
  ASSERT_EQ(p.settle.emptied.size(), 1u);
  EXPECT_EQ(p.planned.grants[p.settle.emptied[0]].grant_id, 2);
  EXPECT_EQ(p.available_after, -10);  // no hold: the spendable balance
}

// The available balance a grant returns and stores counts out what holds
// reserve against the overdraft allowance (test/sql/35_holds: limit 50, a
// block of 10, a hold of 40 reserving the block and 30 of the allowance, a
// consume of 20 all debt, then a grant of 5 repays 5 of it).
TEST(PlanBlock, AvailableBalanceCountsOutWhatHoldsReserveOnTheAllowance) {
  BlockInput in;
  in.now = kNow;
  in.debt = 20;
  in.policy.limit = 50;
  in.reserved_overdraft = 30;
  OpenGrant reserved;  // the hold reserves all of it: nothing to repay from
  reserved.state.grant_id = 1;
  reserved.state.remaining = 0;
  reserved.state.effective_at = kNow - 1;
  reserved.row = 0;
  in.open = {reserved};
  const BlockPlan p = PlanBlock(in, BlockSpec{}, 5, 2, {}, {});
  EXPECT_EQ(p.settle.debt_after, 15);
  EXPECT_EQ(p.spendable_after, -15);
  EXPECT_EQ(p.available_after, -45);  // credit_balance's figure

  // Without debt the same: the spendable balance read, plus the block, less
  // what holds reserve on the allowance.
  BlockInput clear;
  clear.now = kNow;
  clear.spendable_before = 10;
  clear.reserved_overdraft = 30;
  const BlockPlan q = PlanBlock(clear, BlockSpec{}, 5, 3, {}, {});
  EXPECT_EQ(q.spendable_after, 15);
  EXPECT_EQ(q.available_after, -15);
  EXPECT_EQ(q.drafts.size(), 1u);
}

}  // namespace
}  // namespace credit_ledger
