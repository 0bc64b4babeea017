// The calendar of a recurring schedule's time zone (issue 14): t + interval
// exactly as PostgreSQL's timestamptz_pl_interval computes it with TimeZone
// set to that zone. PostgreSQL 15's timestamptz + interval only uses the
// session's TimeZone, so Add repeats its algorithm with the schedule's
// pg_tz: months on the local calendar (the day clamped to the month's
// end), then days, each placed back in the zone with
// DetermineTimeZoneOffset, then the micros as elapsed time.
#pragma once

#include "calendar.hpp"
#include "postgres.hpp"

#include <memory>
#include <string>

namespace credit_ledger::pg {

class PgCalendar : public Calendar {
 public:
  explicit PgCalendar(pg_tz* zone) : zone_(zone) {}
  Micros Add(Micros t, const Interval& interval) const override;

 private:
  pg_tz* zone_;  // PostgreSQL keeps loaded zones for the backend's life
};

// The calendar of `time_zone` (a name pg_tzset knows, e.g. 'UTC',
// 'Europe/Berlin'); 22023 when PostgreSQL knows no such zone.
std::shared_ptr<const Calendar> CalendarOf(const std::string& time_zone);

// The interval argument `n` of a call (nullopt: NULL), and an interval
// column of a row, as the core's Interval.
Interval IntervalOf(::Datum datum);
::Datum IntervalDatum(const Interval& interval);

}  // namespace credit_ledger::pg
