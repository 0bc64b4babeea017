// Calendar arithmetic for recurring grants (1.2): an instant plus an interval
// in a time zone, as PostgreSQL's timestamptz + interval computes it. C++17
// has no time zone database, so the core takes a Calendar: the glue's
// implementation calls timestamptz_pl_interval with TimeZone set to the
// schedule's zone; ZoneCalendar below is the same algorithm over explicit
// offset transitions (UTC, fixed offsets, and DST rules in the unit tests).
#pragma once

#include "time.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace credit_ledger {

// PostgreSQL's interval: months and days are calendar units, micros elapsed
// time ('1 month', '1 day' and '24 hours' are three different intervals).
struct Interval {
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t micros = 0;
};

bool operator==(const Interval& a, const Interval& b);

// `interval` x k (k >= 0), component by component, as PostgreSQL's
// interval_mul does for an integer factor; 22008 is PostgreSQL's, here 22003
// naming `what` when a component overflows.
Interval Times(const Interval& interval, std::int64_t k, const char* what);

// An interval that moves time forward: no component negative, one positive.
// 22023 naming `what` otherwise.
void CheckForwardInterval(const Interval& interval, const char* what);

// t + interval in some time zone.
class Calendar {
 public:
  virtual ~Calendar() = default;
  // PostgreSQL's order: months (the day clamped to the month's end), then
  // days, each on the local calendar, then micros as elapsed time. 22008 is
  // PostgreSQL's; an implementation throws 22003 for a result out of range.
  virtual Micros Add(Micros t, const Interval& interval) const = 0;
};

// A zone given by its UTC offsets: `initial` before the first transition,
// then transitions[i].offset from transitions[i].at (UTC) on. Local times
// that a transition skips (a gap) take the offset before it; local times it
// repeats take the offset after it - PostgreSQL's rule for both.
class ZoneCalendar : public Calendar {
 public:
  struct Transition {
    Micros at = 0;
    Micros offset = 0;  // local - UTC after `at`
  };
  explicit ZoneCalendar(Micros initial, std::vector<Transition> transitions =
                                            std::vector<Transition>{});
  Micros Add(Micros t, const Interval& interval) const override;

  // local - UTC at instant `t`.
  Micros OffsetAt(Micros t) const;
  // The instant of local time `local` (PostgreSQL's rule above).
  Micros FromLocal(Micros local) const;

 private:
  Micros initial_;
  std::vector<Transition> transitions_;  // ascending by `at`
};

// UTC: the default time zone of a schedule.
const Calendar& UtcCalendar();

// The civil date of local time `local` (micros since 2000-01-01 local) and
// back; exposed for tests and for ISO formatting of local times.
struct CivilDate {
  std::int64_t year = 2000;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};
CivilDate DateOf(Micros local);
Micros LocalMidnight(const CivilDate& date);
int DaysInMonth(std::int64_t year, int month);

}  // namespace credit_ledger
