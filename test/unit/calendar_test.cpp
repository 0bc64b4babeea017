#include "calendar.hpp"
#include "refusal.hpp"
#include "time.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

constexpr Micros kHour = 3600 * kMicrosPerSecond;

Micros At(const char* text) {
  return ParseTimestampRfc3339(text, "test instant");
}

std::string Utc(Micros t) {
  return FormatTimestampUtc(t);
}

constexpr Interval kMonth{1, 0, 0};
constexpr Interval kDay{0, 1, 0};
constexpr Interval k24Hours{0, 0, 24 * kHour};

// Every expected instant below was checked against PostgreSQL 15
// (timestamptz + interval with SET TimeZone to UTC or America/New_York).

// America/New_York in 2026: EST (-5) until 2026-03-08 02:00 local, EDT (-4)
// until 2026-11-01 02:00 local, then EST.
const ZoneCalendar& NewYork() {
  static const ZoneCalendar zone(-5 * kHour,
                                 {{At("2026-03-08T07:00:00Z"), -4 * kHour},
                                  {At("2026-11-01T06:00:00Z"), -5 * kHour}});
  return zone;
}

TEST(Calendar, CivilDatesRoundTrip) {
  EXPECT_EQ(LocalMidnight({2000, 1, 1}), 0);
  EXPECT_EQ(LocalMidnight({1999, 12, 31}), -kMicrosPerDay);
  const CivilDate d = DateOf(At("2028-02-29T13:00:00Z"));
  EXPECT_EQ(d.year, 2028);
  EXPECT_EQ(d.month, 2);
  EXPECT_EQ(d.day, 29);
  EXPECT_EQ(DaysInMonth(2028, 2), 29);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);  // not a leap year
  EXPECT_EQ(DaysInMonth(2000, 2), 29);  // a leap year
  EXPECT_EQ(DaysInMonth(2026, 4), 30);
}

TEST(Calendar, MonthsClampToTheEndOfTheMonth) {
  const Calendar& utc = UtcCalendar();
  const Micros jan31 = At("2026-01-31T10:00:00Z");
  EXPECT_EQ(Utc(utc.Add(jan31, kMonth)), "2026-02-28T10:00:00Z");
  EXPECT_EQ(Utc(utc.Add(jan31, {2, 0, 0})), "2026-03-31T10:00:00Z");
  EXPECT_EQ(Utc(utc.Add(jan31, {3, 0, 0})), "2026-04-30T10:00:00Z");
  // Leap years: February 29 exists in 2028 but not in 2100.
  EXPECT_EQ(Utc(utc.Add(At("2028-01-31T00:00:00Z"), kMonth)),
            "2028-02-29T00:00:00Z");
  EXPECT_EQ(Utc(utc.Add(At("2100-01-31T00:00:00Z"), kMonth)),
            "2100-02-28T00:00:00Z");
  EXPECT_EQ(Utc(utc.Add(At("2028-02-29T00:00:00Z"), {12, 0, 0})),
            "2029-02-28T00:00:00Z");
  EXPECT_EQ(Utc(utc.Add(At("2028-02-29T00:00:00Z"), {48, 0, 0})),
            "2032-02-29T00:00:00Z");
  // Across the year end and with days and time after the months.
  EXPECT_EQ(Utc(utc.Add(At("2026-12-31T00:00:00Z"), {2, 1, kHour})),
            "2027-03-01T01:00:00Z");
}

TEST(Calendar, ADayAcrossSpringForwardIs23Hours) {
  const Micros noon = At("2026-03-07T17:00:00Z");  // 12:00 EST
  EXPECT_EQ(Utc(NewYork().Add(noon, kDay)), "2026-03-08T16:00:00Z");  // EDT
  EXPECT_EQ(Utc(NewYork().Add(noon, k24Hours)), "2026-03-08T17:00:00Z");
  // A month keeps the local time of day too.
  EXPECT_EQ(Utc(NewYork().Add(At("2026-02-15T17:00:00Z"), kMonth)),
            "2026-03-15T16:00:00Z");
}

TEST(Calendar, ADayAcrossFallBackIs25Hours) {
  const Micros noon = At("2026-10-31T16:00:00Z");  // 12:00 EDT
  EXPECT_EQ(Utc(NewYork().Add(noon, kDay)), "2026-11-01T17:00:00Z");  // EST
  EXPECT_EQ(Utc(NewYork().Add(noon, k24Hours)), "2026-11-01T16:00:00Z");
}

TEST(Calendar, SkippedAndRepeatedLocalTimesFollowPostgres) {
  // 02:30 on 2026-03-08 does not exist in New York: PostgreSQL reads it
  // with the offset before the gap (EST), which is 03:30 EDT.
  EXPECT_EQ(Utc(NewYork().Add(At("2026-03-07T07:30:00Z"), kDay)),
            "2026-03-08T07:30:00Z");
  // 01:30 on 2026-11-01 happens twice: the offset after the change (EST).
  EXPECT_EQ(Utc(NewYork().Add(At("2026-10-31T05:30:00Z"), kDay)),
            "2026-11-01T06:30:00Z");
  EXPECT_EQ(NewYork().OffsetAt(At("2026-11-01T05:59:59Z")), -4 * kHour);
  EXPECT_EQ(NewYork().OffsetAt(At("2026-11-01T06:00:00Z")), -5 * kHour);
}

TEST(Calendar, IntervalsMustMoveForward) {
  CheckForwardInterval(kMonth, "every");
  CheckForwardInterval({0, 0, 1}, "every");
  const Refusal r = RefusalOf([] { CheckForwardInterval({}, "every"); });
  EXPECT_EQ(r.sqlstate, "22023");
  EXPECT_EQ(r.message, "every must be a positive interval");
  EXPECT_EQ(StateOf([] {
              CheckForwardInterval({0, -1, 0}, "every");
            }),
            "22023");
  EXPECT_EQ(StateOf([] {
              CheckForwardInterval({1, 0, -1}, "every");
            }),
            "22023");
}

TEST(Calendar, MultiplesAndTheirOverflow) {
  EXPECT_EQ(Times({1, 2, 3}, 4, "x"), (Interval{4, 8, 12}));
  EXPECT_EQ(StateOf([] {
              Times({1 << 30, 0, 0}, 4, "period start");
            }),
            "22003");
  EXPECT_EQ(StateOf([] {
              UtcCalendar().Add(kNever - 1, Interval{0, 0, kMicrosPerDay});
            }),
            "22003");
}

}  // namespace
}  // namespace credit_ledger
