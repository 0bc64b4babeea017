#include "catch_up.hpp"

#include "timed_wallet.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace credit_ledger {
namespace {

using timed::Entered;
using timed::kT;
using timed::Scheduled;
using timed::WalletOf;

TEST(IsBlockOpen, EnteredNeedsCreditWaitingNeedsToBeAlive) {
  EXPECT_TRUE(IsBlockOpen(5, 0, true, false, false, false));
  EXPECT_TRUE(IsBlockOpen(0, 5, true, false, false, false));  // all reserved
  EXPECT_FALSE(IsBlockOpen(0, 0, true, false, false, false));
  EXPECT_FALSE(IsBlockOpen(5, 0, true, true, false, false));
  EXPECT_FALSE(IsBlockOpen(5, 0, true, false, true, false));
  EXPECT_TRUE(IsBlockOpen(5, 0, false, false, false, false));  // scheduled
  EXPECT_FALSE(IsBlockOpen(5, 0, false, false, false, true));  // canceled
  EXPECT_FALSE(IsBlockOpen(0, 0, false, true, false, false));  // voided
}

TEST(LowerDueAt, KeepsTheEarlier) {
  EXPECT_EQ(LowerDueAt(std::nullopt, kT), kT);
  EXPECT_EQ(LowerDueAt(kT, kT + 1), kT);
  EXPECT_EQ(LowerDueAt(kT + 1, kT), kT);
  EXPECT_EQ(LowerDueAt(std::nullopt, kNever), std::nullopt);
  EXPECT_EQ(LowerDueAt(kT, kNever), kT);
}

// Three blocks lapse at kT, kT+10 and kT+10; a budget of 1 lapses the
// first only, a budget of 2 stops before the tie at kT+10 (still 1), a
// budget of 3 takes all; what is left stays due.
TEST(PlanSweepCatchUp, BoundsLapsesWithoutSplittingAnInstant) {
  const TimedWallet w =
      WalletOf({Entered(1, 10, kT - 100, kT), Entered(2, 10, kT - 100, kT + 10),
                Entered(3, 10, kT - 100, kT + 10)});
  const CatchUpPlan one = PlanSweepCatchUp(w, kT + 20, std::nullopt, 1);
  EXPECT_EQ(one.lapsed_blocks, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(one.next_due_at, kT + 10);
  const CatchUpPlan two = PlanSweepCatchUp(w, kT + 20, std::nullopt, 2);
  EXPECT_EQ(two.lapsed_blocks.size(), 1U);
  const CatchUpPlan all = PlanSweepCatchUp(w, kT + 20, std::nullopt, 3);
  EXPECT_EQ(all.lapsed_blocks.size(), 3U);
  EXPECT_EQ(all.next_due_at, kNever);
}

// A scheduled block entering and a lapse: credits.expired for the lapse,
// credits.granted for the entry, in the order applied, each with the
// balance right after it.
TEST(CatchUpEvents, OneEventPerHappeningInOrder) {
  const TimedWallet w = WalletOf(
      {Entered(1, 10, kT - 100, kT), Scheduled(2, 30, kT + 5, kNever)});
  const CatchUpPlan plan = PlanCatchUp(w, kT + 10);
  std::map<std::int64_t, BlockLabels> labels;
  labels[2].reason = "welcome";
  const std::vector<PendingEvent> events =
      CatchUpEvents(EventSubject{"c", "usd", 1, 2, 7}, w, plan, labels,
                    [](std::int64_t, const std::optional<std::string>&) {
                      return std::optional<std::string>();
                    });
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].type, "credits.expired");
  EXPECT_NE(events[0].payload.find("\"balance\": \"0.00\""), std::string::npos)
      << events[0].payload;
  EXPECT_EQ(events[1].type, "credits.granted");
  EXPECT_NE(events[1].payload.find("\"reason\": \"welcome\""),
            std::string::npos)
      << events[1].payload;
  EXPECT_NE(events[1].payload.find("\"balance\": \"0.30\""), std::string::npos)
      << events[1].payload;
}

// The wallet's stored next_due_at is the scheduled block's effective_at
// (how the glue calls it): the block enters once, one happening, not a
// second time as if 1.1 had entered it early.
TEST(CatchUpReasons, OnePerEntryByWhatHappened) {
  // A hold of 4 on block 1 times out at the instant block 1 lapses (its 4
  // leave at once, then the free 6 lapse); block 2 takes effect later and
  // repays 3 of debt.
  TimedWallet w =
      WalletOf({Entered(1, 10, kT - 100, kT + 10), Scheduled(2, 20, kT + 20)});
  Hold h;
  h.hold_id = 7;
  h.amount = 4;
  h.reserved = {Reservation{1, 4}};
  h.expires_at = kT + 10;
  w.holds.push_back(h);
  w.blocks[0].row.remaining = 6;
  w.blocks[0].held = 4;
  w.debt = 3;
  w.balance -= 3;
  const CatchUpPlan plan = PlanCatchUp(w, kT + 30);
  const std::vector<std::string> reasons = CatchUpReasons(plan, {});
  ASSERT_EQ(reasons.size(), plan.change.drafts.size());
  std::vector<std::string> expected;
  for (const Happening& x : plan.happenings) {
    for (std::size_t i = 0; i < x.drafts.size(); ++i) {
      expected.push_back(x.kind == HappeningKind::kHoldTimeout ? "hold expired"
                         : x.kind == HappeningKind::kLapse
                             ? "expired"
                             : "scheduled grant took effect");
    }
  }
  EXPECT_EQ(reasons, expected);
  EXPECT_EQ(reasons.back(), "scheduled grant took effect");
  EXPECT_NE(std::find(reasons.begin(), reasons.end(), "expired"),
            reasons.end());
}

// A block taking effect carries its own reason on its grant entry and on
// the debt it repays, as 1.1 wrote them when the grant was made; the other
// happenings keep theirs.
TEST(CatchUpReasons, TakingEffectCarriesTheBlocksReason) {
  TimedWallet w =
      WalletOf({Entered(1, 10, kT - 100, kT + 10), Scheduled(2, 20, kT + 20)});
  w.debt = 3;
  w.balance -= 3;
  const CatchUpPlan plan = PlanCatchUp(w, kT + 30);
  std::map<std::int64_t, BlockLabels> labels;
  labels[2].reason = "welcome bonus";
  const std::vector<std::string> reasons = CatchUpReasons(plan, labels);
  ASSERT_EQ(plan.happenings.size(), 2U);
  const std::size_t lapse = plan.happenings[0].drafts.size();
  ASSERT_EQ(plan.happenings[1].kind, HappeningKind::kTakeEffect);
  ASSERT_GT(plan.happenings[1].drafts.size(), 1U);  // grant entry, repayment
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    EXPECT_EQ(reasons[i], i < lapse ? "expired" : "welcome bonus") << i;
  }
  // Without a reason of its own: what happened.
  labels[2].reason = std::nullopt;
  EXPECT_EQ(CatchUpReasons(plan, labels).back(), "scheduled grant took effect");
  labels[2].kind = "recurring";
  EXPECT_EQ(CatchUpReasons(plan, labels).back(), "recurring period started");
}

TEST(PlanCatchUp, SinceAtTheEffectiveAtEntersOnce) {
  const TimedWallet w = WalletOf({Scheduled(1, 30, kT, kNever)});
  const CatchUpPlan plan = PlanCatchUp(w, kT + 10, kT);
  EXPECT_EQ(plan.happenings.size(), 1U);
  EXPECT_EQ(plan.entered_blocks, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(plan.change.drafts.size(), 1U);
}

}  // namespace
}  // namespace credit_ledger
