#include "entering.hpp"
#include "error.hpp"
#include "timed_wallet.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

using namespace timed;

BlockSpec StartingAt(Micros effective_at, Micros expires_at = kNever) {
  BlockSpec spec;
  spec.effective_at = effective_at;
  if (expires_at != kNever) spec.expires_at = expires_at;
  return spec;
}

TEST(PlanNewBlock, AScheduledBlockWritesNoEntryUntilItTakesEffect) {
  const TimedWallet w = WalletOf({Entered(1, 10)});
  const NewBlockPlan p =
      PlanNewBlock(w, kT, StartingAt(kT + 100), 50, 2, false);
  EXPECT_TRUE(p.change.drafts.empty());
  EXPECT_FALSE(p.block.entered);
  EXPECT_EQ(p.available_after, 10);
  EXPECT_EQ(p.change.wallet.balance, 10);
  EXPECT_EQ(NextDueAt(p.change.wallet, kT), kT + 100);
  ExpectBooks(w, p.change);
  const CatchUpPlan c = PlanCatchUp(p.change.wallet, kT + 100);
  ASSERT_EQ(c.change.drafts.size(), 1u);
  EXPECT_EQ(c.change.drafts[0].occurred_at, kT + 100);
  EXPECT_EQ(c.change.wallet.balance, 60);
}

TEST(PlanNewBlock, ABlockStartingNowEntersAndRepaysDebt) {
  const TimedWallet w = WalletOf({}, 30, 50);
  const NewBlockPlan p = PlanNewBlock(w, kT, BlockSpec{}, 100, 2, false);
  ASSERT_EQ(p.change.drafts.size(), 3u);
  EXPECT_EQ(p.change.drafts[0].type, EntryType::kGrant);
  EXPECT_EQ(p.change.drafts[0].occurred_at, kT);
  EXPECT_EQ(p.change.drafts[1].type, EntryType::kRepayment);
  EXPECT_EQ(p.block.row.remaining, 70);
  EXPECT_EQ(p.change.wallet.debt, 0);
  EXPECT_EQ(p.available_after, 70);
  ExpectBooks(w, p.change);
  EXPECT_EQ(CodeOf([&] {
              PlanNewBlock(w, kT, StartingAt(kT + 5, kT + 5), 1, 3, false);
            }),
            ErrorCode::kInvalidParameter);
}

TEST(PendingGrant, WaitsThenEntersAtConfirmationRepayingDebt) {
  const TimedWallet w = WalletOf({}, 30, 50);
  const NewBlockPlan p = PlanNewBlock(w, kT, BlockSpec{}, 100, 2, true);
  EXPECT_TRUE(p.change.drafts.empty());
  EXPECT_TRUE(p.block.pending);
  EXPECT_EQ(p.available_after, -30);  // not counted
  EXPECT_EQ(NextDueAt(p.change.wallet, kT), kNever);
  EXPECT_TRUE(PlanCatchUp(p.change.wallet, kT + 1000).happenings.empty());

  const ConfirmPlan c = PlanConfirm(p.change.wallet, kT + 50, 2);
  EXPECT_TRUE(c.entered);
  EXPECT_EQ(c.amount, 100);
  ASSERT_EQ(c.change.drafts.size(), 3u);
  EXPECT_EQ(c.change.drafts[0].type, EntryType::kGrant);
  EXPECT_EQ(c.change.drafts[0].occurred_at, kT + 50);  // confirmation time
  EXPECT_EQ(c.change.wallet.debt, 0);
  EXPECT_EQ(c.available_after, 70);
  ExpectBooks(p.change.wallet, c.change);
  // Confirmed twice, or canceled after confirmation: LG006.
  EXPECT_EQ(CodeOf([&] { PlanConfirm(c.change.wallet, kT + 51, 2); }),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf([&] { PlanCancel(c.change.wallet, 2); }),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf([&] { PlanConfirm(c.change.wallet, kT + 51, 99); }),
            ErrorCode::kNotFound);
}

TEST(PendingGrant, ConfirmedBeforeItsEffectiveAtEntersThen) {
  const TimedWallet w = WalletOf({});
  const TimedWallet pending =
      PlanNewBlock(w, kT, StartingAt(kT + 100), 10, 2, true).change.wallet;
  const ConfirmPlan c = PlanConfirm(pending, kT + 10, 2);
  EXPECT_FALSE(c.entered);
  EXPECT_TRUE(c.change.drafts.empty());
  EXPECT_EQ(NextDueAt(c.change.wallet, kT + 10), kT + 100);
  const CatchUpPlan later = PlanCatchUp(c.change.wallet, kT + 200);
  EXPECT_EQ(later.entered_blocks, std::vector<std::int64_t>{2});
  EXPECT_EQ(later.change.drafts[0].occurred_at, kT + 100);
}

TEST(PendingGrant, CancelClosesItAndConfirmAfterCancelOrExpiryIsRefused) {
  const TimedWallet w = WalletOf({});
  const TimedWallet pending =
      PlanNewBlock(w, kT, StartingAt(kT, kT + 100), 10, 2, true).change.wallet;
  const WalletChange canceled = PlanCancel(pending, 2);
  EXPECT_TRUE(canceled.drafts.empty());
  EXPECT_TRUE(BlockOf(canceled.wallet, 2).canceled);
  EXPECT_EQ(CodeOf([&] { PlanCancel(canceled.wallet, 2); }),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf([&] { PlanConfirm(canceled.wallet, kT + 1, 2); }),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf([&] { PlanConfirm(pending, kT + 100, 2); }),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf([&] { PlanVoidBlock(pending, kT + 1, 2); }),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf([&] { PlanVoidBlock(canceled.wallet, kT + 1, 2); }),
            ErrorCode::kInvalidState);
  // A grant that was never pending cannot be confirmed or canceled.
  const TimedWallet plain = WalletOf({Entered(3, 5)});
  EXPECT_EQ(CodeOf([&] { PlanConfirm(plain, kT, 3); }),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf([&] { PlanCancel(plain, 3); }), ErrorCode::kInvalidState);
}

TEST(PlanVoidBlock, AScheduledBlockWritesNoEntryAndReturnsItsAmount) {
  const TimedWallet w = WalletOf({Entered(1, 10), Scheduled(2, 40, kT + 9)});
  const BlockVoidPlan p = PlanVoidBlock(w, kT, 2);
  EXPECT_EQ(p.voided, 40);
  EXPECT_TRUE(p.change.drafts.empty());
  EXPECT_EQ(p.available_after, 10);
  EXPECT_TRUE(PlanCatchUp(p.change.wallet, kT + 10).happenings.empty());
  ExpectBooks(w, p.change);
}

}  // namespace
}  // namespace credit_ledger
