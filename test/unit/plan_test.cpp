#include "amount.hpp"
#include "error.hpp"
#include "plan.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

constexpr Micros kNow = 500 * kMicrosPerDay;

GrantState Block(std::int64_t id, std::int64_t remaining, Micros effective = kNow - 1) {
  GrantState g;
  g.grant_id = id;
  g.remaining = remaining;
  g.effective_at = effective;
  return g;
}

TEST(PlanConsume, HardLimitRefusesWhole) {
  WalletState w;
  w.grants = {Block(1, 30), Block(2, 20)};
  try {
    PlanConsume(w, kNow, 51);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInsufficientCredits);
  }
  const ConsumePlan p = PlanConsume(w, kNow, 50);
  EXPECT_EQ(p.uncovered, 0);
  EXPECT_EQ(p.spendable_before, 50);
  EXPECT_EQ(p.spendable_after, 0);
  EXPECT_EQ(p.remaining_after, (std::vector<std::int64_t>{0, 0}));
}

TEST(PlanConsume, SoftLimitTurnsTheRestIntoDebt) {
  WalletState w;
  w.grants = {Block(1, 30)};
  w.policy.limit = 50;
  const ConsumePlan p = PlanConsume(w, kNow, 70);
  EXPECT_EQ(p.uncovered, 40);
  EXPECT_EQ(p.debt_after, 40);
  EXPECT_EQ(p.spendable_after, -40);
  EXPECT_THROW(PlanConsume(w, kNow, 81), LedgerError);
  w.policy.limit.reset();
  EXPECT_EQ(PlanConsume(w, kNow, 1000000).debt_after, 1000000 - 30);
}

TEST(PlanConsume, DebtIsRepaidFirstFromWhatBecameSpendable) {
  WalletState w;
  w.grants = {Block(1, 100), Block(2, 10, kNow + 1)};  // 2 is scheduled
  w.debt = 30;
  w.policy.limit = 100;
  const ConsumePlan p = PlanConsume(w, kNow, 5);
  ASSERT_EQ(p.repayments.size(), 1u);
  EXPECT_EQ(p.repayments[0].index, 0u);
  EXPECT_EQ(p.repayments[0].amount, 30);
  EXPECT_EQ(p.spendable_before, 70);
  EXPECT_EQ(p.debt_after, 0);
  EXPECT_EQ(p.remaining_after, (std::vector<std::int64_t>{65, 10}));
}

TEST(PlanConsume, SettlementOnlyWithAmountZero) {
  WalletState w;
  w.grants = {Block(1, 10)};
  w.debt = 25;
  w.policy.limit = 0;  // even after the limit was lowered below the debt
  const ConsumePlan p = PlanConsume(w, kNow, 0);
  EXPECT_EQ(p.repayments[0].amount, 10);
  EXPECT_EQ(p.debt_after, 15);
  EXPECT_EQ(p.spendable_after, -15);
  EXPECT_TRUE(p.draws.empty());
}

TEST(PlanConsume, NothingSpendableWithHardLimit) {
  WalletState w;
  w.grants = {Block(1, 10, kNow + 1)};
  EXPECT_THROW(PlanConsume(w, kNow, 1), LedgerError);
  EXPECT_EQ(SpendableBalance(w, kNow), 0);
  EXPECT_EQ(SpendableBalance(w, kNow + 1), 10);
}

// Found by fuzz/drawdown_fuzz: a limited wallet whose debt plus the shortfall
// passes 10^18 - 1 reported 22003 (debt is out of range) instead of LG001.
TEST(PlanConsume, LimitRefusesWithLg001EvenPastTheRange) {
  WalletState w;
  w.grants = {Block(1, 5)};
  w.debt = kMaxUnits - 10;
  w.policy.limit = kMaxUnits;  // the largest limit a wallet can have
  try {
    PlanConsume(w, kNow, 20);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInsufficientCredits);
  }
  w.grants.clear();
  w.debt = kMaxUnits;
  w.policy.limit = 0;  // lowered to a hard limit after the debt arose
  try {
    PlanConsume(w, kNow, kMaxUnits);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInsufficientCredits);
  }
  // Unlimited debt past the bound is out of range.
  w.policy.limit.reset();
  try {
    PlanConsume(w, kNow, 1);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOutOfRange);
  }
}

}  // namespace
}  // namespace credit_ledger
