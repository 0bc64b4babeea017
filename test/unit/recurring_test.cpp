#include "recurring.hpp"
#include "refusal.hpp"
#include "rollover.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

constexpr Micros kHour = 3600 * kMicrosPerSecond;

Micros At(const char* text) {
  return ParseTimestampRfc3339(text, "test instant");
}

std::string Utc(std::optional<Micros> t) {
  return t ? FormatTimestampUtc(*t) : "never";
}

RecurringArgs Monthly() {
  RecurringArgs a;
  a.amount = "5000";
  a.every = Interval{1, 0, 0};
  a.starts_at = At("2026-01-31T00:00:00Z");
  a.expire_after = Interval{1, 0, 0};
  a.rollover_max = "1000";
  a.cost_basis = "0.01";
  return a;
}

RecurringSchedule Schedule(const RecurringArgs& a = Monthly()) {
  RecurringSchedule s = CheckRecurringCreate(a, 0, At("2026-01-01T00:00:00Z"));
  s.recurring_id = 9;
  return s;
}

TEST(RecurringCreate, ChecksEveryArgument) {
  const Micros now = At("2026-01-01T00:00:00Z");
  auto state = [&](const std::function<void(RecurringArgs&)>& edit) {
    RecurringArgs a = Monthly();
    edit(a);
    return StateOf([&] { CheckRecurringCreate(a, 0, now); });
  };
  EXPECT_EQ(state([](RecurringArgs&) {}), "none");
  EXPECT_EQ(state([](RecurringArgs& a) { a.amount = std::nullopt; }), "22004");
  EXPECT_EQ(state([](RecurringArgs& a) { a.amount = "0"; }), "22023");
  EXPECT_EQ(state([](RecurringArgs& a) { a.amount = "1.5"; }), "22023");
  EXPECT_EQ(state([](RecurringArgs& a) { a.every = std::nullopt; }), "22004");
  EXPECT_EQ(state([](RecurringArgs& a) { a.every = Interval{}; }), "22023");
  EXPECT_EQ(state([](RecurringArgs& a) {
              a.every = Interval{0, -1, 0};
            }),
            "22023");
  EXPECT_EQ(state([](RecurringArgs& a) { a.ends_at = a.starts_at; }), "22023");
  EXPECT_EQ(state([](RecurringArgs& a) { a.expire_after = Interval{}; }),
            "22023");
  EXPECT_EQ(state([](RecurringArgs& a) { a.rollover_max = "-1"; }), "22023");
  EXPECT_EQ(state([](RecurringArgs& a) { a.rollover_max = "0.5"; }), "22023");
  EXPECT_EQ(state([](RecurringArgs& a) { a.expire_after = std::nullopt; }),
            "22023");  // rollover needs expire_after
  EXPECT_EQ(state([](RecurringArgs& a) {
              a.expire_after = std::nullopt;
              a.rollover_max = "0";
            }),
            "none");
  EXPECT_EQ(state([](RecurringArgs& a) { a.priority = -1; }), "22023");
  EXPECT_EQ(state([](RecurringArgs& a) { a.cost_basis = "-0.01"; }), "22023");
  RecurringArgs a = Monthly();
  a.starts_at = std::nullopt;
  EXPECT_EQ(CheckRecurringCreate(a, 0, now).starts_at, now);
  a.rollover_max = "-1";
  EXPECT_EQ(RefusalOf([&] { CheckRecurringCreate(a, 0, now); }).message,
            "rollover_max must not be negative");
}

TEST(RecurringPeriods, MonthlyFromJanuary31NeverByRepeatedAddition) {
  const RecurringSchedule s = Schedule();
  const Calendar& utc = UtcCalendar();
  EXPECT_EQ(Utc(PeriodStart(s, 0, utc)), "2026-01-31T00:00:00Z");
  EXPECT_EQ(Utc(PeriodStart(s, 1, utc)), "2026-02-28T00:00:00Z");
  EXPECT_EQ(Utc(PeriodStart(s, 2, utc)), "2026-03-31T00:00:00Z");
  EXPECT_EQ(Utc(PeriodStart(s, 25, utc)), "2028-02-29T00:00:00Z");
  // Period 0's block expires a month after its start, period 1's likewise.
  EXPECT_EQ(Utc(PeriodExpiry(s, 0, utc)), "2026-02-28T00:00:00Z");
  EXPECT_EQ(Utc(PeriodExpiry(s, 1, utc)), "2026-03-28T00:00:00Z");
  RecurringArgs a = Monthly();
  a.expire_after = std::nullopt;
  a.rollover_max = std::nullopt;
  EXPECT_EQ(Utc(PeriodExpiry(Schedule(a), 1, utc)), "never");
}

TEST(RecurringPeriods, DailyInATimeZoneFollowsTheLocalClock) {
  // New York: EDT from 2026-03-08 07:00 UTC.
  const ZoneCalendar ny(-5 * kHour, {{At("2026-03-08T07:00:00Z"), -4 * kHour}});
  RecurringArgs a = Monthly();
  a.every = Interval{0, 1, 0};
  a.starts_at = At("2026-03-06T14:00:00Z");  // 09:00 EST
  a.expire_after = Interval{0, 0, 24 * kHour};
  const RecurringSchedule s = Schedule(a);
  EXPECT_EQ(Utc(PeriodStart(s, 1, ny)), "2026-03-07T14:00:00Z");
  EXPECT_EQ(Utc(PeriodStart(s, 2, ny)), "2026-03-08T13:00:00Z");   // 09:00 EDT
  EXPECT_EQ(Utc(PeriodExpiry(s, 1, ny)), "2026-03-08T14:00:00Z");  // elapsed
}

TEST(RecurringPeriods, EachPeriodIsIssuedExactlyOnceFromItsStart) {
  RecurringSchedule s = Schedule();
  const Calendar& utc = UtcCalendar();
  // Nobody ran for three months: periods 0, 1 and 2 are due, each dated at
  // its own start.
  const Micros now = At("2026-04-15T00:00:00Z");
  EXPECT_EQ(DuePeriods(s, now, utc), (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(DuePeriods(s, now, utc, 2), (std::vector<std::int64_t>{0, 1}));
  std::int64_t grant_id = 100;
  for (std::int64_t k : DuePeriods(s, now, utc)) {
    const PeriodBlock b = IssuePeriod(s, k, utc, ++grant_id);
    EXPECT_EQ(b.grant.effective_at, PeriodStart(s, k, utc));
    EXPECT_EQ(b.grant.expires_at, PeriodExpiry(s, k, utc));
    EXPECT_EQ(b.grant.amount, 5000);
    EXPECT_EQ(b.grant.remaining, 5000);
    EXPECT_EQ(b.grant.kind, "recurring");
    EXPECT_EQ(b.grant.cost_basis, "0.01");
    EXPECT_EQ(b.grant.source_id, "recurring:9:" + std::to_string(k));
    EXPECT_EQ(b.period, k);
    s = b.schedule;
  }
  EXPECT_EQ(s.last_period, 2);
  // A second catch-up at the same time finds nothing; a period issued twice
  // or skipped is refused.
  EXPECT_TRUE(DuePeriods(s, now, utc).empty());
  EXPECT_EQ(StateOf([&] { IssuePeriod(s, 2, utc, 1); }), "XX000");
  EXPECT_EQ(StateOf([&] { IssuePeriod(s, 4, utc, 1); }), "XX000");
  EXPECT_EQ(Utc(NextPeriodStart(s, utc)), "2026-04-30T00:00:00Z");
  // The start instant itself is due.
  EXPECT_EQ(DuePeriods(s, At("2026-04-30T00:00:00Z"), utc),
            (std::vector<std::int64_t>{3}));
  EXPECT_TRUE(DuePeriods(s, At("2026-04-29T23:59:59.999999Z"), utc).empty());
}

TEST(RecurringPeriods, EndsAtAndCancelStopPeriodsStartingAtOrAfterThem) {
  RecurringArgs a = Monthly();
  a.ends_at = At("2026-03-31T00:00:00Z");  // period 2 starts then: not run
  RecurringSchedule s = Schedule(a);
  const Calendar& utc = UtcCalendar();
  EXPECT_EQ(DuePeriods(s, At("2027-01-01T00:00:00Z"), utc),
            (std::vector<std::int64_t>{0, 1}));
  s.last_period = 1;
  EXPECT_EQ(NextPeriodStart(s, utc), kNever);

  RecurringSchedule c = Schedule();
  const Micros now = At("2026-02-10T00:00:00Z");
  c = PlanRecurringCancel(c, At("2026-02-28T00:00:00Z"), now);
  EXPECT_EQ(DuePeriods(c, At("2027-01-01T00:00:00Z"), utc),
            (std::vector<std::int64_t>{0}));
}

TEST(RecurringCancel, RefusesThePastAndASecondCancel) {
  const RecurringSchedule s = Schedule();
  const Micros now = At("2026-02-10T00:00:00Z");
  const Refusal past = RefusalOf([&] { PlanRecurringCancel(s, now - 1, now); });
  EXPECT_EQ(past.sqlstate, "22023");
  EXPECT_EQ(past.message, "at is in the past");
  const RecurringSchedule c = PlanRecurringCancel(s, std::nullopt, now);
  EXPECT_EQ(c.canceled_at, now);
  EXPECT_EQ(StateOf([&] { PlanRecurringCancel(c, std::nullopt, now); }),
            "LG006");
  RecurringArgs a = Monthly();
  a.ends_at = At("2026-02-01T00:00:00Z");
  EXPECT_EQ(
      StateOf([&] { PlanRecurringCancel(Schedule(a), std::nullopt, now); }),
      "LG006");
}

GrantRow Lapsing(std::int64_t remaining) {
  GrantRow g;
  g.grant_id = 101;
  g.amount = 5000;
  g.remaining = remaining;
  g.priority = 20;
  g.promotional = true;
  g.cost_basis = "0.01";
  g.effective_at = At("2026-01-31T00:00:00Z");
  g.expires_at = At("2026-02-28T00:00:00Z");
  return g;
}

TEST(Rollover, TermsFollowTheScheduleAndDoNotRollTwice) {
  const RecurringSchedule s = Schedule();
  const Calendar& utc = UtcCalendar();
  const Micros lapse = At("2026-02-28T00:00:00Z");
  const std::optional<RolloverTerms> t =
      RolloverTermsFor(s, 0, "recurring", lapse, utc);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->max, 1000);
  // starts_at + 0 x every + 2 x expire_after: January 31 + 2 months.
  EXPECT_EQ(Utc(t->expires_at), "2026-03-31T00:00:00Z");
  EXPECT_FALSE(RolloverTermsFor(s, 0, "rollover", lapse, utc));
  RecurringArgs none = Monthly();
  none.rollover_max = "0";
  EXPECT_FALSE(RolloverTermsFor(Schedule(none), 0, "recurring", lapse, utc));
  // A block whose expiry was moved past where its rollover would end.
  EXPECT_FALSE(
      RolloverTermsFor(s, 0, "recurring", At("2026-04-01T00:00:00Z"), utc));
}

TEST(Rollover, MovesUpToTheCapAndExpiresTheRest) {
  const Micros lapse = At("2026-02-28T00:00:00Z");
  const RolloverTerms terms{1000, At("2026-03-31T00:00:00Z")};
  const LapsePlan p = PlanLapse(Lapsing(1800), lapse, terms, 202);
  EXPECT_EQ(p.rolled, 1000);
  EXPECT_EQ(p.expired, 800);
  ASSERT_EQ(p.drafts.size(), 3u);
  EXPECT_EQ(p.drafts[0].type, EntryType::kRollover);
  EXPECT_EQ(p.drafts[0].amount, -1000);
  EXPECT_EQ(p.drafts[0].grant_id, 101);
  EXPECT_EQ(p.drafts[1].type, EntryType::kRollover);
  EXPECT_EQ(p.drafts[1].amount, 1000);
  EXPECT_EQ(p.drafts[1].grant_id, 202);
  EXPECT_EQ(p.drafts[2].type, EntryType::kExpiration);
  EXPECT_EQ(p.drafts[2].amount, -800);
  for (const EntryDraft& d : p.drafts) {
    EXPECT_EQ(d.occurred_at, lapse);
    EXPECT_EQ(d.cost_basis, "0.01");
    EXPECT_EQ(d.promotional, true);
  }
  // Breakage counts only what really expired.
  EXPECT_EQ(p.lapsed.expired_amount, 800);
  EXPECT_EQ(p.lapsed.remaining, 0);
  EXPECT_EQ(p.lapsed.expired_at, lapse);
  ASSERT_TRUE(p.block);
  EXPECT_EQ(p.block->grant_id, 202);
  EXPECT_EQ(p.block->amount, 1000);
  EXPECT_EQ(p.block->remaining, 1000);
  EXPECT_EQ(p.block->kind, "rollover");
  EXPECT_EQ(p.block->effective_at, lapse);  // spendable from the lapse on
  EXPECT_EQ(p.block->expires_at, terms.expires_at);
  EXPECT_EQ(p.block->priority, 20);
  EXPECT_TRUE(p.block->promotional);
  EXPECT_EQ(p.block->cost_basis, "0.01");
  EXPECT_EQ(p.block->source_id, "rollover:101");
}

TEST(Rollover, UnderTheCapAllRollsAndWithoutTermsAllExpires) {
  const Micros lapse = At("2026-02-28T00:00:00Z");
  // Free credit only: what a hold still reserves is not in `remaining`.
  const LapsePlan all =
      PlanLapse(Lapsing(300), lapse, RolloverTerms{1000, kNever - 1}, 202);
  EXPECT_EQ(all.rolled, 300);
  EXPECT_EQ(all.expired, 0);
  EXPECT_EQ(all.drafts.size(), 2u);
  EXPECT_EQ(all.lapsed.expired_amount, 0);
  const LapsePlan none = PlanLapse(Lapsing(300), lapse, std::nullopt, 202);
  EXPECT_EQ(none.rolled, 0);
  EXPECT_EQ(none.expired, 300);
  EXPECT_FALSE(none.block);
  ASSERT_EQ(none.drafts.size(), 1u);
  EXPECT_EQ(none.drafts[0].type, EntryType::kExpiration);
  EXPECT_EQ(none.drafts[0].occurred_at, lapse);
}

TEST(Rollover, EventPayloadBytes) {
  EventSubject subject{"acme", "ai_tokens", 7, 0, 42};
  const LapsePlan p =
      PlanLapse(Lapsing(1800), At("2026-02-28T00:00:00Z"),
                RolloverTerms{1000, At("2026-03-31T00:00:00Z")}, 202);
  const PendingEvent e = RolledOverEvent(subject, p, 1000);
  EXPECT_EQ(e.type, "credits.rolled_over");
  EXPECT_EQ(e.payload,
            "{\"customer_id\": \"acme\", \"credit_type\": \"ai_tokens\", "
            "\"wallet_id\": 7, \"operation_id\": 42, \"from_grant_id\": 101, "
            "\"grant_id\": 202, \"amount\": \"1000\", \"expires_at\": "
            "\"2026-03-31T00:00:00Z\", \"balance\": \"1000\"}");
}

}  // namespace
}  // namespace credit_ledger
