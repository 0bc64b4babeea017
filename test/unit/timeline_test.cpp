#include "error.hpp"
#include "holds.hpp"
#include "timed_wallet.hpp"
#include "timeline.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

using namespace timed;

// Places a hold the way credit_hold would and returns the wallet after it.
TimedWallet WithHold(const TimedWallet& w, Micros now, std::int64_t amount,
                     std::int64_t hold_id, Micros expires_at) {
  return PlanHold(w, now, amount, hold_id, expires_at).change.wallet;
}

TEST(CatchUp, ScheduledBlockEntersWithItsGrantEntryAtEffectiveAt) {
  const TimedWallet w =
      WalletOf({Entered(1, 100), Scheduled(2, 50, kT + 10, kT + 1000)});
  EXPECT_EQ(NextDueAt(w, kT), kT + 10);
  EXPECT_TRUE(PlanCatchUp(w, kT + 9).happenings.empty());

  const CatchUpPlan p = PlanCatchUp(w, kT + 20);
  ASSERT_EQ(p.happenings.size(), 1u);
  const Happening& h = p.happenings[0];
  EXPECT_EQ(h.kind, HappeningKind::kTakeEffect);
  EXPECT_EQ(h.at, kT + 10);
  EXPECT_EQ(h.id, 2);
  ASSERT_EQ(h.drafts.size(), 1u);
  EXPECT_EQ(h.drafts[0].type, EntryType::kGrant);
  EXPECT_EQ(h.drafts[0].amount, 50);
  EXPECT_EQ(h.drafts[0].grant_id, 2);
  EXPECT_EQ(h.drafts[0].occurred_at, kT + 10);
  EXPECT_EQ(h.balance_after, 150);
  EXPECT_EQ(p.entered_blocks, std::vector<std::int64_t>{2});
  EXPECT_TRUE(BlockOf(p.change.wallet, 2).entered);
  EXPECT_EQ(p.change.changed_blocks, std::vector<std::int64_t>{2});
  EXPECT_EQ(p.next_due_at, kT + 1000);  // now it can lapse
  ExpectBooks(w, p.change);
}

// The 1.1 bug the catch-up removes: a consume returned 80 while its entry
// said 130 because scheduled credit was in the ledger balance. Now the
// balance a consume returns is its last entry's balance_after minus holds.
TEST(CatchUp, ConsumeAfterAScheduledBlockReturnsItsLastBalanceAfter) {
  const TimedWallet w = WalletOf({Entered(1, 100), Scheduled(2, 50, kT + 10)});
  const TimedWallet caught = PlanCatchUp(w, kT + 20).change.wallet;
  const WalletConsumePlan c = PlanWalletConsume(caught, kT + 20, 30, false);
  std::int64_t running = caught.balance;
  for (const EntryDraft& d : c.change.drafts) running += d.amount;
  EXPECT_EQ(running, 120);
  EXPECT_EQ(c.available_after, running);
  ExpectBooks(caught, c.change);

  // Before the block takes effect its credit is neither in the ledger nor
  // spendable: the balance and the entries agree at 70.
  const WalletConsumePlan early = PlanWalletConsume(w, kT, 30, false);
  EXPECT_EQ(early.change.wallet.balance, 70);
  EXPECT_EQ(early.available_after, 70);

  // With a hold the returned balance is balance_after minus what is held.
  const TimedWallet held = WithHold(caught, kT + 20, 25, 7, kT + 100);
  const WalletConsumePlan h = PlanWalletConsume(held, kT + 20, 30, false);
  EXPECT_EQ(h.change.wallet.balance, 120);
  EXPECT_EQ(h.available_after, 120 - 25);
  EXPECT_EQ(HeldAt(h.change.wallet, kT + 20), 25);
}

TEST(CatchUp, SameInstantHoldsTimeOutThenBlocksLapseThenBlocksTakeEffect) {
  // Block 1 lapses at kT+50 with 20 free; hold 9 reserves 30 of it and
  // times out at kT+50 too; block 2 starts at kT+50.
  TimedWallet w =
      WalletOf({Entered(1, 100, kT - 100, kT + 50), Scheduled(2, 40, kT + 50)});
  w = WithHold(w, kT, 30, 9, kT + 50);
  w = PlanWalletConsume(w, kT, 50, false).change.wallet;

  const CatchUpPlan p = PlanCatchUp(w, kT + 60);
  ASSERT_EQ(p.happenings.size(), 3u);
  EXPECT_EQ(p.happenings[0].kind, HappeningKind::kHoldTimeout);
  EXPECT_EQ(p.happenings[1].kind, HappeningKind::kLapse);
  EXPECT_EQ(p.happenings[2].kind, HappeningKind::kTakeEffect);
  for (const Happening& h : p.happenings) {
    EXPECT_EQ(h.at, kT + 50);
    ASSERT_EQ(h.drafts.size(), 1u);
    EXPECT_EQ(h.drafts[0].occurred_at, kT + 50);
  }
  // The hold gives 30 back to a block lapsing at that instant: it leaves;
  // then the block's 20 free credits lapse; then block 2 enters.
  EXPECT_EQ(p.happenings[0].drafts[0].type, EntryType::kExpiration);
  EXPECT_EQ(p.happenings[0].drafts[0].amount, -30);
  EXPECT_EQ(p.happenings[1].drafts[0].amount, -20);
  EXPECT_EQ(p.happenings[2].drafts[0].type, EntryType::kGrant);
  EXPECT_EQ(p.happenings[2].balance_after, 40);
  EXPECT_EQ(p.change.wallet.balance, 40);
  EXPECT_EQ(p.expired_holds, std::vector<std::int64_t>{9});
  ExpectBooks(w, p.change);
  // Balance after each happening is the running sum of its entries.
  std::int64_t running = w.balance;
  for (const Happening& h : p.happenings) {
    for (const EntryDraft& d : h.drafts) running += d.amount;
    EXPECT_EQ(running, h.balance_after);
  }
}

TEST(CatchUp, LapseRemovesOnlyWhatNoHoldReserves) {
  TimedWallet w = WalletOf({Entered(1, 100, kT - 100, kT + 5)});
  w = WithHold(w, kT, 40, 3, kT + 10);
  EXPECT_EQ(NextDueAt(w, kT), kT + 5);
  const CatchUpPlan p = PlanCatchUp(w, kT + 7);
  ASSERT_EQ(p.happenings.size(), 1u);
  EXPECT_EQ(p.happenings[0].drafts[0].amount, -60);
  EXPECT_EQ(p.happenings[0].drafts[0].occurred_at, kT + 5);
  EXPECT_EQ(p.change.wallet.balance, 40);
  EXPECT_EQ(BlockOf(p.change.wallet, 1).held, 40);
  EXPECT_EQ(p.next_due_at, kT + 10);  // the hold's deadline
  ExpectBooks(w, p.change);

  // Released before its deadline, the credit leaves the lapsed block at once.
  const ReleasePlan r = PlanRelease(p.change.wallet, kT + 7, 3);
  EXPECT_EQ(r.released, 40);
  ASSERT_EQ(r.change.drafts.size(), 1u);
  EXPECT_EQ(r.change.drafts[0].type, EntryType::kExpiration);
  EXPECT_EQ(r.change.drafts[0].amount, -40);
  EXPECT_EQ(r.change.wallet.balance, 0);
  EXPECT_EQ(r.available_after, 0);
  ExpectBooks(p.change.wallet, r.change);
}

TEST(CatchUp, TimedOutHoldReturnsCreditIntoALapsedBlockAndItLeaves) {
  TimedWallet w = WalletOf({Entered(1, 100, kT - 100, kT + 5)});
  w = WithHold(w, kT, 40, 3, kT + 10);
  const CatchUpPlan p = PlanCatchUp(w, kT + 20);
  ASSERT_EQ(p.happenings.size(), 2u);
  EXPECT_EQ(p.happenings[0].kind, HappeningKind::kLapse);
  EXPECT_EQ(p.happenings[1].kind, HappeningKind::kHoldTimeout);
  ASSERT_EQ(p.happenings[1].drafts.size(), 1u);
  EXPECT_EQ(p.happenings[1].drafts[0].type, EntryType::kExpiration);
  EXPECT_EQ(p.happenings[1].drafts[0].amount, -40);
  EXPECT_EQ(p.happenings[1].drafts[0].occurred_at, kT + 10);
  EXPECT_EQ(HoldOf(p.change.wallet, 3).status, HoldStatus::kExpired);
  EXPECT_EQ(HoldOf(p.change.wallet, 3).closed_at, kT + 10);
  EXPECT_EQ(p.change.wallet.balance, 0);
  EXPECT_EQ(p.next_due_at, kNever);
  ExpectBooks(w, p.change);
}

TEST(CatchUp, TimedOutHoldsCountAsReleasedForReads) {
  TimedWallet w = WalletOf({Entered(1, 100)});
  w = WithHold(w, kT, 60, 3, kT + 10);
  EXPECT_EQ(AvailableBalance(w, kT + 5), 40);
  EXPECT_EQ(HeldAt(w, kT + 5), 60);
  EXPECT_EQ(HeldAt(w, kT + 10), 0);  // a hold reserves while now < deadline
  // A read catches up without writing and sees the credit back.
  const CatchUpPlan p = PlanCatchUp(w, kT + 10);
  EXPECT_TRUE(p.change.drafts.empty());
  EXPECT_EQ(AvailableBalance(p.change.wallet, kT + 10), 100);
  EXPECT_EQ(p.change.wallet.balance - HeldAt(p.change.wallet, kT + 10), 100);
  // A capture after the deadline is refused.
  try {
    PlanCapture(w, kT + 10, 3, std::nullopt);
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidState);
  }
}

TEST(CatchUp, TimedOutHoldGivingCreditBackRepaysDebt) {
  TimedWallet w = WalletOf({Entered(1, 100)}, 0, 100);
  w = WithHold(w, kT, 100, 3, kT + 10);
  w = PlanWalletConsume(w, kT, 50, false).change.wallet;  // all debt
  ASSERT_EQ(w.debt, 50);
  const CatchUpPlan p = PlanCatchUp(w, kT + 10);
  ASSERT_EQ(p.happenings.size(), 1u);
  const Happening& h = p.happenings[0];
  ASSERT_EQ(h.drafts.size(), 2u);
  EXPECT_EQ(h.drafts[0].type, EntryType::kRepayment);
  EXPECT_EQ(h.drafts[0].amount, -50);
  EXPECT_EQ(h.drafts[0].grant_id, 1);
  EXPECT_EQ(h.drafts[0].occurred_at, kT + 10);
  EXPECT_EQ(h.drafts[1].amount, 50);
  EXPECT_EQ(p.change.wallet.debt, 0);
  EXPECT_EQ(BlockOf(p.change.wallet, 1).row.remaining, 50);
  ExpectBooks(w, p.change);
}

TEST(CatchUp, BlockThatStartsAndLapsesWithinTheGapDoesBoth) {
  const TimedWallet w = WalletOf({Scheduled(1, 30, kT + 1, kT + 3)});
  const CatchUpPlan p = PlanCatchUp(w, kT + 5);
  ASSERT_EQ(p.happenings.size(), 2u);
  EXPECT_EQ(p.happenings[0].drafts[0].amount, 30);
  EXPECT_EQ(p.happenings[0].balance_after, 30);
  EXPECT_EQ(p.happenings[1].drafts[0].amount, -30);
  EXPECT_EQ(p.happenings[1].drafts[0].occurred_at, kT + 3);
  EXPECT_EQ(p.happenings[1].balance_after, 0);
  EXPECT_EQ(p.lapsed_blocks, std::vector<std::int64_t>{1});
  ExpectBooks(w, p.change);
}

TEST(CatchUp, SameInstantTiesGoByIdAndEachEntryRepaysDebt) {
  const TimedWallet w =
      WalletOf({Scheduled(5, 10, kT + 1), Scheduled(4, 10, kT + 1)}, 15, 20);
  const CatchUpPlan p = PlanCatchUp(w, kT + 1);
  ASSERT_EQ(p.happenings.size(), 2u);
  EXPECT_EQ(p.happenings[0].id, 4);
  EXPECT_EQ(p.happenings[1].id, 5);
  // Block 4 repays 10 of 15 as it enters, block 5 the other 5.
  EXPECT_EQ(p.happenings[0].drafts.size(), 3u);
  EXPECT_EQ(p.happenings[1].drafts.size(), 3u);
  EXPECT_EQ(p.change.wallet.debt, 0);
  EXPECT_EQ(p.change.wallet.balance, 5);
  ExpectBooks(w, p.change);
}

// A block 1.1 entered while it was still scheduled has its grant entry: it
// writes none when it takes effect, only repays debt - once.
TEST(CatchUp, BlockEnteredUnder11RepaysDebtWhenItTakesEffect) {
  const TimedWallet w = WalletOf({Entered(1, 30, kT + 10)}, 10, 10);
  EXPECT_EQ(AvailableBalance(w, kT), -10);  // not spendable yet
  EXPECT_EQ(NextDueAt(w, kT), kT + 10);
  const CatchUpPlan p = PlanCatchUp(w, kT + 20, kT + 10);
  ASSERT_EQ(p.happenings.size(), 1u);
  ASSERT_EQ(p.happenings[0].drafts.size(), 2u);
  EXPECT_EQ(p.happenings[0].drafts[0].type, EntryType::kRepayment);
  EXPECT_EQ(p.change.wallet.debt, 0);
  EXPECT_TRUE(p.entered_blocks.empty());
  ExpectBooks(w, p.change);
  // Handled by an earlier catch-up (since is past it): nothing to do.
  EXPECT_TRUE(PlanCatchUp(w, kT + 20, kT + 11).happenings.empty());
}

TEST(CatchUp, NextDueAtIsTheEarliestHappeningAfterNow) {
  TimedWallet w = WalletOf({Entered(1, 10, kT - 5, kT + 300),
                            Scheduled(2, 10, kT + 200), Entered(3, 10)});
  EXPECT_EQ(NextDueAt(w, kT), kT + 200);
  w = WithHold(w, kT, 5, 1, kT + 100);
  EXPECT_EQ(NextDueAt(w, kT), kT + 100);
  // A block with no free credit cannot lapse with anything to write.
  const TimedWallet drawn = PlanWalletConsume(w, kT, 5, false).change.wallet;
  EXPECT_EQ(BlockOf(drawn, 1).row.remaining, 0);
  EXPECT_EQ(NextDueAt(drawn, kT), kT + 100);
  // Pending and canceled blocks are never due.
  TimedWallet p = WalletOf({Scheduled(4, 10, kT + 50)});
  p.blocks[0].pending = true;
  EXPECT_EQ(NextDueAt(p, kT), kNever);
  EXPECT_TRUE(PlanCatchUp(p, kT + 60).happenings.empty());
}

// A block whose credit a hold reserves in full has nothing free to lapse,
// but a release can give it back before the hold's deadline: its expiry
// must stay due, or next_due_at would be late.
TEST(CatchUp, NextDueAtCountsBlocksWhoseCreditIsAllHeld) {
  TimedWallet w = WalletOf({Entered(1, 100, kT - 100, kT + 50)});
  w = WithHold(w, kT, 100, 3, kT + 100);
  EXPECT_EQ(NextDueAt(w, kT), kT + 50);
  w = PlanRelease(w, kT + 10, 3).change.wallet;
  const CatchUpPlan p = PlanCatchUp(w, kT + 60, kT + 50);
  ASSERT_EQ(p.happenings.size(), 1u);
  EXPECT_EQ(p.happenings[0].kind, HappeningKind::kLapse);
  EXPECT_EQ(p.happenings[0].at, kT + 50);
}

TEST(HoldExpiresAt, TimeoutMustBePositiveAndAtMost31Days) {
  EXPECT_EQ(HoldExpiresAt(kT, 600 * kMicrosPerSecond),
            kT + 600 * kMicrosPerSecond);
  EXPECT_EQ(HoldExpiresAt(kT, kMaxHoldTimeout), kT + 31 * kMicrosPerDay);
  for (Micros bad : {Micros{0}, Micros{-1}, kMaxHoldTimeout + 1}) {
    try {
      HoldExpiresAt(kT, bad);
      FAIL();
    } catch (const LedgerError& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
    }
  }
}

}  // namespace
}  // namespace credit_ledger
