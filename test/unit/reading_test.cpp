// What reads show: grant_status and wallet_summary derive every column from
// the wallet as a write would leave it once caught up.
#include "holds.hpp"
#include "reading.hpp"
#include "timed_wallet.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

using namespace timed;

TEST(Reading, NotDueReadsTheStoredWalletAndAddsNoEntries) {
  const TimedWallet w =
      WalletOf({Entered(1, 100, kT - 100, kT + 10)});  // lapses at kT + 10
  const CaughtUpRead r = ReadCaughtUp(w, kT + 20, kT + 10, false);
  EXPECT_EQ(r.added, 0);
  EXPECT_EQ(r.wallet.balance, 100);
  // Stored, the lapsed block with credit left still reads as expired.
  EXPECT_EQ(StatusAt(BlockOf(r.wallet, 1), kT + 20), BlockStatus::kExpired);
}

TEST(Reading, DueReadsWhatTheCatchUpWouldWrite) {
  const TimedWallet w = WalletOf(
      {Entered(1, 100, kT - 100, kT + 10), Scheduled(2, 50, kT + 5, kT + 1000)},
      /*debt=*/20, /*limit=*/std::nullopt);
  const CaughtUpRead r = ReadCaughtUp(w, kT + 20, kT + 5, true);
  const CatchUpPlan plan = PlanCatchUp(w, kT + 20, kT + 5);
  EXPECT_EQ(r.added, static_cast<std::int64_t>(plan.change.drafts.size()));
  EXPECT_GT(r.added, 0);
  EXPECT_EQ(r.wallet.balance, plan.change.wallet.balance);
  EXPECT_EQ(StatusAt(BlockOf(r.wallet, 1), kT + 20), BlockStatus::kExpired);
  EXPECT_EQ(StatusAt(BlockOf(r.wallet, 2), kT + 20), BlockStatus::kActive);
  // Block 2's entry repaid the debt of 20 in drawdown order, from block 1
  // (it lapses sooner), whose other 80 then lapsed: block 2 keeps its 50.
  EXPECT_EQ(BlockOf(r.wallet, 2).row.remaining, 50);
  EXPECT_EQ(BlockOf(r.wallet, 1).row.expired_amount, 80);
  const WalletReading s = SummarizeWallet(r.wallet, kT + 20);
  EXPECT_EQ(s.debt, 0);
  EXPECT_EQ(s.available, 50);
  EXPECT_EQ(s.ledger_balance, 50);
}

TEST(Reading, StatusesInTheirOrder) {
  Block b = Entered(1, 100, kT - 100, kT + 1000);
  EXPECT_EQ(StatusAt(b, kT), BlockStatus::kActive);
  b.row.remaining = 0;
  EXPECT_EQ(StatusAt(b, kT), BlockStatus::kDepleted);
  b.held = 5;  // a hold still reserves from it
  EXPECT_EQ(StatusAt(b, kT), BlockStatus::kActive);
  Block s = Scheduled(2, 10, kT + 5);
  EXPECT_EQ(StatusAt(s, kT), BlockStatus::kScheduled);
  s.pending = true;
  EXPECT_EQ(StatusAt(s, kT), BlockStatus::kPending);
  s.canceled = true;
  EXPECT_EQ(StatusAt(s, kT), BlockStatus::kCanceled);
  Block v = Entered(3, 10);
  v.row.voided_at = kT - 1;
  v.row.expired_at = kT - 1;
  EXPECT_EQ(StatusAt(v, kT), BlockStatus::kVoided);
  EXPECT_STREQ(StatusName(BlockStatus::kCanceled), "canceled");
  EXPECT_STREQ(StatusName(BlockStatus::kExpired), "expired");
}

TEST(Reading, SummaryCountsScheduledExpiringPendingAndHeld) {
  Block pending = Scheduled(4, 40, kT - 50);
  pending.pending = true;
  TimedWallet w = WalletOf({Entered(1, 100, kT - 100, kT + 29 * kMicrosPerDay),
                            Entered(2, 7, kT - 100, kT + 31 * kMicrosPerDay),
                            Scheduled(3, 25, kT + 5), pending});
  w = PlanHold(w, kT, 30, 9, kT + 100).change.wallet;
  const WalletReading s = SummarizeWallet(w, kT);
  EXPECT_EQ(s.held, 30);
  EXPECT_EQ(s.available, 77);
  EXPECT_EQ(s.ledger_balance, 107);
  EXPECT_EQ(s.scheduled, 25);
  EXPECT_EQ(s.expiring_30d, 70);  // block 1's free credit; 30 is held
  EXPECT_EQ(s.pending, 40);
  // Past the hold's deadline a reader counts it released.
  const WalletReading later = SummarizeWallet(w, kT + 100);
  EXPECT_EQ(later.held, 0);
}

}  // namespace
}  // namespace credit_ledger
