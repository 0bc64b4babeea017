#include "error.hpp"
#include "reversal.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

constexpr Micros kNow = 500 * kMicrosPerDay;

GrantRow Row(std::int64_t id, std::int64_t remaining) {
  GrantRow g;
  g.grant_id = id;
  g.amount = 100;
  g.remaining = remaining;
  g.effective_at = kNow - 10;
  return g;
}

TEST(Reversal, OnlyConsumesAreReversible) {
  EXPECT_NO_THROW(CheckReversible(3, "consume"));
  EXPECT_THROW(CheckReversible(3, "grant"), LedgerError);
}

TEST(Reversal, DebtBeyondTheWalletsDebtBecomesANewBlock) {
  const std::vector<Restoration> r = {{std::nullopt, 30}, {1, 5}};
  EXPECT_EQ(ReversalBlockCredits(r, 50), 0);
  EXPECT_EQ(ReversalBlockCredits(r, 10), 20);

  ReversalInput in;
  in.restorations = r;
  in.restored = {{1, Row(1, 0)}};
  in.debt = 10;
  in.now = kNow;
  in.new_block_id = 9;
  in.reason = std::string("refund");
  const ReversalPlan p = PlanReverse(in);
  EXPECT_EQ(p.amount, 35);
  ASSERT_TRUE(p.new_block);
  EXPECT_EQ(p.new_block->grant_id, 9);
  EXPECT_EQ(p.new_block->amount, 20);
  EXPECT_EQ(p.new_block->remaining, 20);
  EXPECT_EQ(p.new_block->kind, "reversal");
  EXPECT_EQ(p.new_block->reason, "refund");
  ASSERT_EQ(p.drafts.size(), 3u);
  EXPECT_EQ(p.drafts[0].amount, 10);  // onto the debt
  EXPECT_FALSE(p.drafts[0].grant_id);
  EXPECT_EQ(p.drafts[1].grant_id, 9);
  EXPECT_EQ(p.drafts[2].grant_id, 1);
  EXPECT_EQ(p.restored.at(1).remaining, 5);
  EXPECT_EQ(p.settle.spendable_after, 25);
}

TEST(Reversal, CreditsRestoredToALapsedGrantLeaveAgain) {
  ReversalInput in;
  in.restorations = {{1, 5}, {2, 7}};
  GrantRow voided = Row(1, 0);
  voided.voided_at = kNow - 1;
  GrantRow expired = Row(2, 0);
  expired.expires_at = kNow;
  in.restored = {{1, voided}, {2, expired}};
  in.now = kNow;
  const ReversalPlan p = PlanReverse(in);
  ASSERT_EQ(p.drafts.size(), 4u);
  EXPECT_EQ(p.drafts[1].type, EntryType::kVoid);
  EXPECT_EQ(p.drafts[1].amount, -5);
  EXPECT_EQ(p.drafts[3].type, EntryType::kExpiration);
  EXPECT_EQ(p.restored.at(1).voided_amount, 5);
  EXPECT_EQ(p.restored.at(2).expired_amount, 7);
  EXPECT_EQ(p.restored.at(1).remaining, 0);
  EXPECT_EQ(p.settle.spendable_after, 0);
}

TEST(Reversal, RestoredCreditRepaysOutstandingDebt) {
  ReversalInput in;
  in.restorations = {{1, 40}};
  in.restored = {{1, Row(1, 0)}};
  OpenGrant other;
  other.state.grant_id = 2;
  other.state.remaining = 0;
  in.open = {other};
  in.debt = 15;
  in.policy.limit = 100;
  in.now = kNow;
  const ReversalPlan p = PlanReverse(in);
  EXPECT_EQ(p.restored.at(1).remaining, 25);
  EXPECT_EQ(p.settle.spendable_after, 25);
  ASSERT_EQ(p.drafts.size(), 3u);
  EXPECT_EQ(p.drafts[1].type, EntryType::kRepayment);
  EXPECT_EQ(p.drafts[1].amount, -15);
  EXPECT_EQ(p.drafts[2].amount, 15);
  ASSERT_EQ(p.others.size(), 1u);
  EXPECT_EQ(p.others_after, (std::vector<std::int64_t>{0}));
}

}  // namespace
}  // namespace credit_ledger
