#include "entering.hpp"
#include "error.hpp"
#include "holds.hpp"
#include "timed_wallet.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

using namespace timed;

TEST(PlanHold, ReservesInDrawdownOrderWithoutEntries) {
  // Block 2 expires first, so it is drawn (and reserved) first.
  const TimedWallet w =
      WalletOf({Entered(1, 100), Entered(2, 30, kT - 100, kT + 500)});
  const HoldPlan p = PlanHold(w, kT, 50, 7, kT + 60);
  EXPECT_TRUE(p.change.drafts.empty());
  EXPECT_EQ(p.change.wallet.balance, 130);  // the ledger does not move
  EXPECT_EQ(p.available_after, 80);         // the available balance does
  ASSERT_EQ(p.hold.reserved.size(), 2u);
  EXPECT_EQ(p.hold.reserved[0].grant_id, 2);
  EXPECT_EQ(p.hold.reserved[0].amount, 30);
  EXPECT_EQ(p.hold.reserved[1].grant_id, 1);
  EXPECT_EQ(p.hold.reserved[1].amount, 20);
  EXPECT_EQ(BlockOf(p.change.wallet, 1).row.remaining, 80);
  EXPECT_EQ(BlockOf(p.change.wallet, 1).held, 20);
  EXPECT_EQ(HeldAt(p.change.wallet, kT), 50);
  EXPECT_EQ(p.change.wallet.balance - HeldAt(p.change.wallet, kT),
            p.available_after);
  EXPECT_EQ(p.change.changed_holds, std::vector<std::int64_t>{7});
  ExpectBooks(w, p.change);
  // Other operations cannot spend what is held.
  EXPECT_EQ(CodeOf([&] { PlanWalletConsume(p.change.wallet, kT, 81, false); }),
            ErrorCode::kInsufficientCredits);
}

TEST(PlanHold, RefusedExactlyWhenAConsumeWouldBe) {
  const TimedWallet w = WalletOf({Entered(1, 40)});
  EXPECT_EQ(CodeOf([&] { PlanHold(w, kT, 41, 1, kT + 1); }),
            ErrorCode::kInsufficientCredits);
  EXPECT_EQ(CodeOf([&] { PlanWalletConsume(w, kT, 41, false); }),
            ErrorCode::kInsufficientCredits);
  EXPECT_EQ(PlanHold(w, kT, 40, 1, kT + 1).available_after, 0);
  EXPECT_EQ(CodeOf([&] { PlanHold(w, kT, 0, 1, kT + 1); }),
            ErrorCode::kInvalidParameter);
}

// On a soft-limit wallet the part of a hold no block covers is reserved
// against the overdraft allowance: later debts and holds see less of it.
TEST(PlanHold, BeyondTheBlocksReservesTheOverdraftAllowance) {
  const TimedWallet w = WalletOf({Entered(1, 30)}, 0, 50);
  const HoldPlan p = PlanHold(w, kT, 60, 1, kT + 100);
  ASSERT_EQ(p.hold.reserved.size(), 2u);
  EXPECT_FALSE(p.hold.reserved[1].grant_id.has_value());
  EXPECT_EQ(p.hold.reserved[1].amount, 30);
  EXPECT_EQ(p.hold.Overdraft(), 30);
  EXPECT_EQ(p.available_after, -30);
  EXPECT_EQ(p.change.wallet.debt, 0);  // nothing is owed yet
  const TimedWallet& held = p.change.wallet;
  EXPECT_EQ(CodeOf([&] { PlanWalletConsume(held, kT, 21, false); }),
            ErrorCode::kInsufficientCredits);
  EXPECT_EQ(CodeOf([&] { PlanHold(held, kT, 21, 2, kT + 1); }),
            ErrorCode::kInsufficientCredits);
  const WalletConsumePlan c = PlanWalletConsume(held, kT, 20, false);
  EXPECT_EQ(c.change.wallet.debt, 20);
  EXPECT_EQ(c.available_after, -50);
  ExpectBooks(held, c.change);
  // Unlimited overdraft: any hold is admitted.
  EXPECT_EQ(
      PlanHold(WalletOf({}, 0, std::nullopt), kT, 1000, 1, kT + 1).hold.amount,
      1000);
}

TEST(PlanCapture, NamesTheReservedBlocksAndReleasesTheRest) {
  TimedWallet w =
      WalletOf({Entered(1, 100), Entered(2, 30, kT - 100, kT + 500)});
  w = PlanHold(w, kT, 50, 7, kT + 60).change.wallet;
  const CapturePlan p = PlanCapture(w, kT + 1, 7, 35);
  EXPECT_EQ(p.captured, 35);
  EXPECT_EQ(p.released, 15);
  ASSERT_EQ(p.change.drafts.size(), 2u);
  EXPECT_EQ(p.change.drafts[0].type, EntryType::kUsage);
  EXPECT_EQ(p.change.drafts[0].grant_id, 2);
  EXPECT_EQ(p.change.drafts[0].amount, -30);
  EXPECT_EQ(p.change.drafts[1].grant_id, 1);
  EXPECT_EQ(p.change.drafts[1].amount, -5);
  EXPECT_EQ(BlockOf(p.change.wallet, 1).row.remaining, 95);
  EXPECT_EQ(BlockOf(p.change.wallet, 1).held, 0);
  const Hold& h = HoldOf(p.change.wallet, 7);
  EXPECT_EQ(h.status, HoldStatus::kCaptured);
  EXPECT_EQ(h.captured, 35);
  EXPECT_EQ(h.closed_at, kT + 1);
  EXPECT_EQ(p.available_after, 95);
  EXPECT_EQ(p.change.wallet.balance, 95);
  ExpectBooks(w, p.change);
  // Default: all of it.
  EXPECT_EQ(PlanCapture(w, kT + 1, 7, std::nullopt).captured, 50);
}

TEST(PlanCapture, NeverFailsAfterTheReservedBlockLapsed) {
  TimedWallet w = WalletOf({Entered(1, 100, kT - 100, kT + 5)});
  w = PlanHold(w, kT, 40, 3, kT + 60).change.wallet;
  w = PlanCatchUp(w, kT + 10).change.wallet;  // 60 free credits lapsed
  ASSERT_EQ(w.balance, 40);
  ASSERT_EQ(AvailableBalance(w, kT + 10), 0);
  const CapturePlan p = PlanCapture(w, kT + 10, 3, 25);
  ASSERT_EQ(p.change.drafts.size(), 2u);
  EXPECT_EQ(p.change.drafts[0].type, EntryType::kUsage);
  EXPECT_EQ(p.change.drafts[0].grant_id, 1);
  EXPECT_EQ(p.change.drafts[0].amount, -25);
  // The 15 not captured go back to a lapsed block and leave at once.
  EXPECT_EQ(p.change.drafts[1].type, EntryType::kExpiration);
  EXPECT_EQ(p.change.drafts[1].amount, -15);
  EXPECT_EQ(p.change.wallet.balance, 0);
  EXPECT_EQ(p.change.wallet.debt, 0);
  ExpectBooks(w, p.change);
}

TEST(PlanCapture, NeverFailsAfterTheReservedBlockWasVoided) {
  TimedWallet w = WalletOf({Entered(1, 100)});
  w = PlanHold(w, kT, 40, 3, kT + 60).change.wallet;
  const BlockVoidPlan v = PlanVoidBlock(w, kT + 1, 1);
  EXPECT_EQ(v.voided, 60);  // only what no hold reserves
  ASSERT_EQ(v.change.drafts.size(), 1u);
  EXPECT_EQ(v.change.drafts[0].amount, -60);
  ExpectBooks(w, v.change);
  w = v.change.wallet;
  const CapturePlan p = PlanCapture(w, kT + 2, 3, 10);
  ASSERT_EQ(p.change.drafts.size(), 2u);
  EXPECT_EQ(p.change.drafts[0].type, EntryType::kUsage);
  EXPECT_EQ(p.change.drafts[0].amount, -10);
  EXPECT_EQ(p.change.drafts[1].type, EntryType::kVoid);
  EXPECT_EQ(p.change.drafts[1].amount, -30);
  EXPECT_EQ(BlockOf(p.change.wallet, 1).row.voided_amount, 90);
  EXPECT_EQ(p.change.wallet.balance, 0);
  ExpectBooks(w, p.change);
}

TEST(PlanCapture, OverCaptureDrawsTheExcessLikeAConsume) {
  TimedWallet w = WalletOf({Entered(1, 50), Entered(2, 20, kT - 50)});
  w = PlanHold(w, kT, 30, 3, kT + 60).change.wallet;  // from block 1 (older)
  const CapturePlan p = PlanCapture(w, kT + 1, 3, 60);
  EXPECT_EQ(p.captured, 60);
  EXPECT_EQ(p.released, 0);
  EXPECT_EQ(p.change.wallet.balance, 10);
  EXPECT_EQ(p.available_after, 10);
  ExpectBooks(w, p.change);
  // Beyond what the limit admits: LG001 for the whole capture.
  EXPECT_EQ(CodeOf([&] { PlanCapture(w, kT + 1, 3, 71); }),
            ErrorCode::kInsufficientCredits);
}

TEST(PlanCapture, TheOverdraftPartNeedsThePolicyNoMore) {
  TimedWallet w = WalletOf({Entered(1, 30)}, 0, 50);
  w = PlanHold(w, kT, 60, 3, kT + 60).change.wallet;
  w.policy.limit = 0;  // the limit was lowered since
  const CapturePlan p = PlanCapture(w, kT + 1, 3, std::nullopt);
  EXPECT_EQ(p.change.wallet.debt, 30);
  EXPECT_EQ(p.available_after, -30);
  ExpectBooks(w, p.change);

  // Credit that entered since the hold covers the overdraft part first.
  TimedWallet more = WalletOf({Entered(1, 30)}, 0, 50);
  more = PlanHold(more, kT, 60, 3, kT + 60).change.wallet;
  more = PlanNewBlock(more, kT + 1, BlockSpec{}, 100, 9, false).change.wallet;
  const CapturePlan q = PlanCapture(more, kT + 2, 3, std::nullopt);
  EXPECT_EQ(q.change.wallet.debt, 0);
  EXPECT_EQ(BlockOf(q.change.wallet, 9).row.remaining, 70);
  ExpectBooks(more, q.change);
}

TEST(PlanCapture, RefusesZeroUnknownAndClosedHolds) {
  TimedWallet w = WalletOf({Entered(1, 100)});
  w = PlanHold(w, kT, 40, 3, kT + 60).change.wallet;
  EXPECT_EQ(CodeOf([&] { PlanCapture(w, kT, 3, 0); }),
            ErrorCode::kInvalidParameter);
  EXPECT_EQ(CodeOf([&] { PlanCapture(w, kT, 3, -1); }),
            ErrorCode::kInvalidParameter);
  EXPECT_EQ(CodeOf([&] { PlanCapture(w, kT, 4, 1); }), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { PlanRelease(w, kT, 4); }), ErrorCode::kNotFound);
  const TimedWallet captured = PlanCapture(w, kT, 3, 1).change.wallet;
  EXPECT_EQ(CodeOf([&] { PlanCapture(captured, kT, 3, 1); }),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf([&] { PlanRelease(captured, kT, 3); }),
            ErrorCode::kInvalidState);
  const TimedWallet released = PlanRelease(w, kT, 3).change.wallet;
  EXPECT_EQ(CodeOf([&] { PlanRelease(released, kT, 3); }),
            ErrorCode::kInvalidState);
  EXPECT_EQ(CodeOf([&] { PlanCapture(released, kT, 3, 1); }),
            ErrorCode::kInvalidState);
  const TimedWallet expired = PlanCatchUp(w, kT + 60).change.wallet;
  EXPECT_EQ(HoldOf(expired, 3).status, HoldStatus::kExpired);
  EXPECT_EQ(CodeOf([&] { PlanRelease(expired, kT + 60, 3); }),
            ErrorCode::kInvalidState);
}

TEST(PlanRelease, GivesTheCreditBackAndRepaysDebt) {
  TimedWallet w = WalletOf({Entered(1, 100)}, 0, 100);
  w = PlanHold(w, kT, 100, 3, kT + 60).change.wallet;
  w = PlanWalletConsume(w, kT, 30, false).change.wallet;
  ASSERT_EQ(w.debt, 30);
  const ReleasePlan p = PlanRelease(w, kT + 1, 3);
  EXPECT_EQ(p.released, 100);
  ASSERT_EQ(p.change.drafts.size(), 2u);
  EXPECT_EQ(p.change.drafts[0].type, EntryType::kRepayment);
  EXPECT_EQ(p.change.wallet.debt, 0);
  EXPECT_EQ(p.available_after, 70);
  EXPECT_EQ(HoldOf(p.change.wallet, 3).status, HoldStatus::kReleased);
  ExpectBooks(w, p.change);
}

TEST(PlanWalletConsume, AllowPartialTakesWhatIsThereAndNeverGoesIntoDebt) {
  const TimedWallet w = WalletOf({Entered(1, 40)}, 0, 100);
  const WalletConsumePlan p = PlanWalletConsume(w, kT, 70, true);
  EXPECT_EQ(p.applied, 40);
  EXPECT_EQ(p.change.wallet.debt, 0);
  EXPECT_EQ(p.available_after, 0);
  ExpectBooks(w, p.change);
  EXPECT_EQ(PlanWalletConsume(w, kT, 25, true).applied, 25);
  // Nothing there: zero is a result, not an error.
  const WalletConsumePlan none =
      PlanWalletConsume(p.change.wallet, kT, 10, true);
  EXPECT_EQ(none.applied, 0);
  EXPECT_TRUE(none.change.drafts.empty());
  // In debt: nothing applies either.
  const TimedWallet owing = WalletOf({}, 20, 100);
  EXPECT_EQ(PlanWalletConsume(owing, kT, 10, true).applied, 0);
  // What holds reserve is not there.
  const TimedWallet held = PlanHold(w, kT, 15, 1, kT + 5).change.wallet;
  EXPECT_EQ(PlanWalletConsume(held, kT, 70, true).applied, 25);
  EXPECT_EQ(CodeOf([&] { PlanWalletConsume(w, kT, 0, true); }),
            ErrorCode::kInvalidParameter);
}

TEST(PolicyLessReserved, TheHotPathJudgesDebtLikeTheHoldsDo) {
  OverdraftPolicy p;
  p.limit = 50;
  EXPECT_EQ(PolicyLessReserved(p, 30).limit, 20);
  EXPECT_EQ(PolicyLessReserved(p, 80).limit, 0);
  p.limit = std::nullopt;
  EXPECT_FALSE(PolicyLessReserved(p, 80).limit.has_value());
  EXPECT_EQ(PartialAmount(10, 4), 4);
  EXPECT_EQ(PartialAmount(10, 40), 10);
  EXPECT_EQ(PartialAmount(10, -5), 0);
}

OpenGrant OpenBlock(std::int64_t id, std::int64_t remaining) {
  OpenGrant g;
  g.state.grant_id = id;
  g.state.remaining = remaining;
  g.state.effective_at = kT - 1;
  return g;
}

TEST(PlanWalletDrawDown, PartialTakesWhatIsThereAndNeverDebt) {
  const std::vector<OpenGrant> grants = {OpenBlock(1, 30)};
  OverdraftPolicy unlimited;
  unlimited.limit = std::nullopt;
  // Even a wallet allowed any debt: the partial consume stops at 30.
  const DrawDownPlan p =
      PlanWalletDrawDown(grants, PlannerState(grants, 0, unlimited, 2), kT, 50,
                         EntryType::kUsage, true, 0);
  EXPECT_EQ(p.amount, 30);
  EXPECT_EQ(p.plan.debt_after, 0);
  EXPECT_EQ(p.plan.spendable_after, 0);
  ASSERT_EQ(p.drafts.size(), 1u);
  EXPECT_EQ(p.drafts[0].amount, -30);
  // Covered in full: the whole amount.
  EXPECT_EQ(PlanWalletDrawDown(grants, PlannerState(grants, 0, unlimited, 2),
                               kT, 20, EntryType::kUsage, true, 0)
                .amount,
            20);
  // What holds reserve against the allowance is not there to take, and
  // the available balance after it counts it out.
  const DrawDownPlan r =
      PlanWalletDrawDown(grants, PlannerState(grants, 0, unlimited, 2), kT, 50,
                         EntryType::kUsage, true, 12);
  EXPECT_EQ(r.amount, 18);
  EXPECT_EQ(r.plan.spendable_after, 12);
  EXPECT_EQ(r.available_after, 0);
}

TEST(PlanWalletDrawDown, PartialOfNothingAppliesZeroWithoutEntries) {
  const std::vector<OpenGrant> empty;
  const DrawDownPlan p =
      PlanWalletDrawDown(empty, PlannerState(empty, 5, OverdraftPolicy{}, 2),
                         kT, 10, EntryType::kUsage, true, 0);
  EXPECT_EQ(p.amount, 0);
  EXPECT_TRUE(p.drafts.empty());
  EXPECT_EQ(p.plan.debt_after, 5);  // existing debt stays, none is added
  // Without allow_partial the same consume is refused.
  EXPECT_EQ(CodeOf([&] {
              PlanWalletDrawDown(empty,
                                 PlannerState(empty, 5, OverdraftPolicy{}, 2),
                                 kT, 10, EntryType::kUsage, false, 0);
            }),
            ErrorCode::kInsufficientCredits);
}

TEST(PlanWalletDrawDown, WithoutPartialTheLimitLessReservedDecides) {
  const std::vector<OpenGrant> grants = {OpenBlock(1, 10)};
  OverdraftPolicy soft;
  soft.limit = 20;
  const DrawDownPlan p =
      PlanWalletDrawDown(grants, PlannerState(grants, 0, soft, 2), kT, 30,
                         EntryType::kUsage, false, 0);
  EXPECT_EQ(p.plan.debt_after, 20);
  EXPECT_EQ(p.available_after, -20);
  // 5 reserved on the allowance: 15 of debt is the most, and the balance
  // the consume returns is credit_balance's (the debt and the 5).
  const DrawDownPlan q =
      PlanWalletDrawDown(grants, PlannerState(grants, 0, soft, 2), kT, 25,
                         EntryType::kUsage, false, 5);
  EXPECT_EQ(q.plan.spendable_after, -15);
  EXPECT_EQ(q.available_after, -20);
  EXPECT_EQ(CodeOf([&] {
              PlanWalletDrawDown(grants, PlannerState(grants, 0, soft, 2), kT,
                                 30, EntryType::kUsage, false, 1);
            }),
            ErrorCode::kInsufficientCredits);
}

TEST(PlanBatchConsume, EachPartialEventSeesWhatTheEarlierOnesLeft) {
  const std::vector<OpenGrant> grants = {OpenBlock(1, 30)};
  ConsumePlanner planner(PlannerState(grants, 0, OverdraftPolicy{}, 2), kT);
  PartialConsume a = PlanBatchConsume(planner, 20, true, 0);
  EXPECT_EQ(a.applied, 20);
  planner.Apply(a.plan);
  PartialConsume b = PlanBatchConsume(planner, 20, true, 0);
  EXPECT_EQ(b.applied, 10);
  planner.Apply(b.plan);
  PartialConsume c = PlanBatchConsume(planner, 20, true, 0);
  EXPECT_EQ(c.applied, 0);
  EXPECT_TRUE(c.plan.draws.empty());
  EXPECT_EQ(c.plan.uncovered, 0);
  EXPECT_EQ(CodeOf([&] { PlanBatchConsume(planner, 20, false, 0); }),
            ErrorCode::kInsufficientCredits);
}

// Each event returns the available balance: what holds reserve against the
// allowance counted out (the planner was built with the limit less it).
TEST(PlanBatchConsume,
     AvailableBalanceCountsOutWhatHoldsReserveOnTheAllowance) {
  const std::vector<OpenGrant> grants = {OpenBlock(1, 10)};
  OverdraftPolicy soft;
  soft.limit = PolicyLessReserved(OverdraftPolicy{50}, 30).limit;
  ConsumePlanner planner(PlannerState(grants, 0, soft, 2), kT);
  PartialConsume a = PlanBatchConsume(planner, 15, false, 30);
  EXPECT_EQ(a.plan.spendable_after, -5);
  EXPECT_EQ(a.available_after, -35);
  planner.Apply(a.plan);
  PartialConsume b = PlanBatchConsume(planner, 15, true, 30);
  EXPECT_EQ(b.applied, 0);  // -35 available: nothing to take
  EXPECT_EQ(b.available_after, -35);
}

}  // namespace
}  // namespace credit_ledger
