// The catch-up with recurring schedules (issue 14): periods issued exactly
// once, dated from their start, and rollover at a recurring block's lapse.
#include "catch_up.hpp"
#include "timed_wallet.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace credit_ledger::timed {
namespace {

constexpr Micros kDay = kMicrosPerDay;

// A schedule of 100 every 10 days from kT, each block expiring 10 days
// after its start, rolling up to `rollover_max` over.
TimedSchedule Every10Days(std::int64_t rollover_max = 30) {
  TimedSchedule ts;
  RecurringSchedule& s = ts.schedule;
  s.recurring_id = 7;
  s.amount = 100;
  s.every = Interval{0, 10, 0};
  s.starts_at = kT;
  s.expire_after = Interval{0, 10, 0};
  s.rollover_max = rollover_max;
  ts.calendar =
      std::shared_ptr<const Calendar>(&UtcCalendar(), [](const Calendar*) {});
  return ts;
}

TimedWallet WithSchedule(TimedSchedule ts) {
  TimedWallet w = WalletOf({});
  w.schedules.push_back(std::move(ts));
  std::int64_t next = 100;
  w.new_grant_id = [next]() mutable { return next++; };
  return w;
}

// A period's block carries the schedule's reason on its grant entry (the
// block the catch-up created has it); without one, the happening's.
TEST(RecurringCatchUp, GrantEntriesCarryTheSchedulesReason) {
  TimedSchedule ts = Every10Days(0);
  ts.schedule.reason = "pro plan";
  const CatchUpPlan p = PlanCatchUp(WithSchedule(ts), kT + 5 * kDay);
  ASSERT_EQ(p.change.drafts.size(), 1U);
  EXPECT_EQ(CatchUpReasons(p, {}), (std::vector<std::string>{"pro plan"}));
  const CatchUpPlan plain = PlanCatchUp(WithSchedule(Every10Days(0)), kT);
  EXPECT_EQ(CatchUpReasons(plain, {}),
            (std::vector<std::string>{"recurring period started"}));
}

// A '1 second' schedule (7) and a '2 seconds' one (8), both from kT, never
// lapsing, caught up 2,000 seconds later: one catch-up issues at most
// kMaxPeriodsPerCatchUp periods - the 1,000th is 7's at kT + 666 s, and the
// rest of that instant (8's period and both blocks entering) is applied too
// - and leaves the next instant due, in the past; catch-ups from there issue
// every period exactly once.
TEST(RecurringCatchUp, BoundsThePeriodsOfOneCatchUp) {
  constexpr Micros kSecond = 1000000;
  TimedSchedule fast = Every10Days(0);
  fast.schedule.every = Interval{0, 0, kSecond};
  fast.schedule.expire_after = std::nullopt;
  TimedSchedule slow = fast;
  slow.schedule.recurring_id = 8;
  slow.schedule.every = Interval{0, 0, 2 * kSecond};
  TimedWallet w = WithSchedule(fast);
  w.schedules.push_back(slow);
  // Ids unique across the catch-ups (the glue's nextval).
  auto next_id = std::make_shared<std::int64_t>(100);
  w.new_grant_id = [next_id] { return (*next_id)++; };
  const Micros now = kT + 2000 * kSecond;
  CatchUpPlan p = PlanCatchUp(w, now);
  ASSERT_EQ(p.created_blocks.size(), 1001U);
  EXPECT_EQ(p.entered_blocks.size(), 1001U);
  EXPECT_EQ(p.change.wallet.schedules[0].schedule.last_period, 666);
  EXPECT_EQ(p.change.wallet.schedules[1].schedule.last_period, 333);
  EXPECT_EQ(p.created_blocks.back().grant.effective_at, kT + 666 * kSecond);
  EXPECT_EQ(p.next_due_at, kT + 667 * kSecond);
  std::size_t periods = p.created_blocks.size();
  int catch_ups = 1;
  while (p.next_due_at <= now) {
    p = PlanCatchUp(p.change.wallet, now, p.next_due_at);
    ASSERT_LE(p.created_blocks.size(), 1001U);
    ASSERT_FALSE(p.created_blocks.empty());
    periods += p.created_blocks.size();
    ++catch_ups;
  }
  EXPECT_EQ(periods, 2001U + 1001U);  // 7: periods 0..2000, 8: 0..1000
  EXPECT_EQ(catch_ups, 3);            // capped at kT + 666 s and kT + 1333 s
  EXPECT_EQ(p.next_due_at, now + kSecond);
  EXPECT_EQ(p.change.wallet.balance, 3002 * 100);
}

TEST(RecurringCatchUp, IssuesEachDuePeriodOnceFromItsStart) {
  TimedWallet w = WithSchedule(Every10Days(0));
  EXPECT_EQ(NextDueAt(w, kT - 1), kT);
  // 25 days later: periods 0, 1 and 2 started; 0 and 1 lapsed.
  const CatchUpPlan p = PlanCatchUp(w, kT + 25 * kDay);
  ASSERT_EQ(p.created_blocks.size(), 3U);
  for (std::int64_t k = 0; k < 3; ++k) {
    const CreatedBlock& c = p.created_blocks[k];
    EXPECT_EQ(c.period, k);
    EXPECT_EQ(c.grant.kind, "recurring");
    EXPECT_EQ(c.grant.effective_at, kT + k * 10 * kDay);
    EXPECT_EQ(c.grant.source_id, "recurring:7:" + std::to_string(k));
  }
  EXPECT_EQ(p.entered_blocks, (std::vector<std::int64_t>{100, 101, 102}));
  EXPECT_EQ(p.lapsed_blocks, (std::vector<std::int64_t>{100, 101}));
  EXPECT_EQ(p.change.wallet.schedules[0].schedule.last_period, 2);
  EXPECT_EQ(p.changed_schedules, (std::vector<std::int64_t>{7}));
  EXPECT_EQ(p.change.wallet.balance, 100);
  EXPECT_EQ(p.next_due_at, kT + 30 * kDay);  // period 3 starts
  // The saved state catches up to nothing more.
  const CatchUpPlan again = PlanCatchUp(p.change.wallet, kT + 25 * kDay);
  EXPECT_TRUE(again.created_blocks.empty());
  EXPECT_TRUE(again.change.drafts.empty());
}

TEST(RecurringCatchUp, ALapseAndTheNextPeriodAtOneInstantInOrder) {
  TimedWallet w = WithSchedule(Every10Days(30));
  const CatchUpPlan p = PlanCatchUp(w, kT + 10 * kDay);
  // Period 0 enters; at kT + 10 days it lapses (30 roll over, 70 expire),
  // then period 1 starts and enters.
  ASSERT_EQ(p.happenings.size(), 5U);
  EXPECT_EQ(p.happenings[2].kind, HappeningKind::kLapse);
  EXPECT_EQ(p.happenings[3].kind, HappeningKind::kPeriodStart);
  EXPECT_EQ(p.happenings[4].kind, HappeningKind::kTakeEffect);
  const std::vector<EntryDraft>& lapse = p.happenings[2].drafts;
  ASSERT_EQ(lapse.size(), 3U);
  EXPECT_EQ(lapse[0].type, EntryType::kRollover);
  EXPECT_EQ(lapse[0].amount, -30);
  EXPECT_EQ(lapse[1].type, EntryType::kRollover);
  EXPECT_EQ(lapse[1].amount, 30);
  EXPECT_EQ(lapse[2].type, EntryType::kExpiration);
  EXPECT_EQ(lapse[2].amount, -70);
  ASSERT_EQ(p.rollovers.size(), 1U);
  EXPECT_EQ(p.rollovers[0].from, 100);
  EXPECT_EQ(p.rollovers[0].amount, 30);
  EXPECT_EQ(p.rollovers[0].expires_at, kT + 20 * kDay);
  const Block& rolled = BlockOf(p.change.wallet, p.rollovers[0].to);
  EXPECT_EQ(rolled.kind, "rollover");
  EXPECT_TRUE(rolled.entered);
  EXPECT_EQ(rolled.row.remaining, 30);
  EXPECT_EQ(rolled.row.effective_at, kT + 10 * kDay);
  EXPECT_EQ(BlockOf(p.change.wallet, 100).row.expired_amount, 70);
  EXPECT_EQ(p.change.wallet.balance, 130);
  EXPECT_EQ(AvailableBalance(p.change.wallet, kT + 10 * kDay), 130);
}

TEST(RecurringCatchUp, RolledOverCreditDoesNotRollAgain) {
  const CatchUpPlan p =
      PlanCatchUp(WithSchedule(Every10Days(500)), kT + 20 * kDay);
  // Period 0's 100 rolled into a block that lapses at kT + 20 days with
  // period 1: period 1's 100 rolls (a recurring block), the rollover block's
  // 100 expires.
  ASSERT_EQ(p.rollovers.size(), 2U);
  EXPECT_EQ(p.rollovers[0].from, 100);
  EXPECT_EQ(p.rollovers[1].from, 102);
  const Block& first_rollover = BlockOf(p.change.wallet, p.rollovers[0].to);
  EXPECT_EQ(first_rollover.row.expired_amount, 100);
  EXPECT_EQ(p.change.wallet.balance, 200);
}

TEST(RecurringCatchUp, WhatAHoldReservesDoesNotRollOver) {
  TimedWallet w = WithSchedule(Every10Days(80));
  CatchUpPlan p = PlanCatchUp(w, kT);
  TimedWallet held = p.change.wallet;
  Block& b = const_cast<Block&>(BlockOf(held, 100));
  b.row.remaining = 40;
  b.held = 60;
  Hold h;
  h.hold_id = 1;
  h.amount = 60;
  h.reserved = {Reservation{100, 60}};
  h.expires_at = kT + 30 * kDay;
  held.holds.push_back(h);
  const CatchUpPlan lapse = PlanCatchUp(held, kT + 10 * kDay);
  ASSERT_EQ(lapse.rollovers.size(), 1U);
  EXPECT_EQ(lapse.rollovers[0].amount, 40);  // the free 40, not the held 60
  EXPECT_EQ(BlockOf(lapse.change.wallet, 100).held, 60);
}

TEST(RecurringCatchUp, AReadNumbersNewBlocksBelowZero) {
  TimedWallet w = WithSchedule(Every10Days(0));
  w.new_grant_id = nullptr;
  const CatchUpPlan p = PlanCatchUp(w, kT + 10 * kDay);
  ASSERT_EQ(p.created_blocks.size(), 2U);
  EXPECT_EQ(p.created_blocks[0].grant.grant_id, -1);
  EXPECT_EQ(p.created_blocks[1].grant.grant_id, -2);
  EXPECT_EQ(AvailableBalance(p.change.wallet, kT + 10 * kDay), 100);
}

TEST(RecurringCatchUp, EventsGrantedPerPeriodRolledOverAndExpired) {
  const TimedWallet w = WithSchedule(Every10Days(30));
  const CatchUpPlan p = PlanCatchUp(w, kT + 10 * kDay);
  EventSubject s;
  s.customer_id = "c";
  s.credit_type = "t";
  const std::vector<PendingEvent> events = CatchUpEvents(
      s, w, p, {}, [](std::int64_t, const std::optional<std::string>&) {
        return std::optional<std::string>();
      });
  std::vector<std::string> types;
  for (const PendingEvent& e : events) types.push_back(e.type);
  EXPECT_EQ(types,
            (std::vector<std::string>{"credits.granted", "credits.rolled_over",
                                      "credits.expired", "credits.granted"}));
  EXPECT_NE(events[0].payload.find("\"source_id\": \"recurring:7:0\""),
            std::string::npos)
      << events[0].payload;
}

}  // namespace
}  // namespace credit_ledger::timed
