#include "calendar_pg.hpp"

#include "error.hpp"
#include "guard.hpp"

namespace credit_ledger::pg {
namespace {

[[noreturn]] void OutOfRange() {
  throw LedgerError(ErrorCode::kOutOfRange, "timestamp out of range",
                    "A period of the schedule falls outside the range of "
                    "timestamptz.");
}

// The local time of `t` in `zone` as PostgreSQL's broken-down time.
void ToLocal(Micros t, pg_tz* zone, pg_tm* tm, fsec_t* fsec) {
  int tz = 0;
  if (timestamp2tm(t, &tz, tm, fsec, nullptr, zone) != 0) OutOfRange();
}

// The instant of local time `tm` in `zone` (a skipped local time takes the
// offset before the transition, a repeated one the offset after it).
Micros FromLocal(pg_tm* tm, fsec_t fsec, pg_tz* zone) {
  int tz = DetermineTimeZoneOffset(tm, zone);
  Timestamp out = 0;
  if (tm2timestamp(tm, fsec, &tz, &out) != 0) OutOfRange();
  return out;
}

Micros AddMonths(Micros t, std::int32_t months, pg_tz* zone) {
  pg_tm tm{};
  fsec_t fsec = 0;
  ToLocal(t, zone, &tm, &fsec);
  tm.tm_mon += months;
  if (tm.tm_mon > MONTHS_PER_YEAR) {
    tm.tm_year += (tm.tm_mon - 1) / MONTHS_PER_YEAR;
    tm.tm_mon = ((tm.tm_mon - 1) % MONTHS_PER_YEAR) + 1;
  } else if (tm.tm_mon < 1) {
    tm.tm_year += tm.tm_mon / MONTHS_PER_YEAR - 1;
    tm.tm_mon = tm.tm_mon % MONTHS_PER_YEAR + MONTHS_PER_YEAR;
  }
  const int last = day_tab[isleap(tm.tm_year)][tm.tm_mon - 1];
  if (tm.tm_mday > last) tm.tm_mday = last;
  return FromLocal(&tm, fsec, zone);
}

Micros AddDays(Micros t, std::int32_t days, pg_tz* zone) {
  pg_tm tm{};
  fsec_t fsec = 0;
  ToLocal(t, zone, &tm, &fsec);
  const int julian = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) + days;
  j2date(julian, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
  return FromLocal(&tm, fsec, zone);
}

}  // namespace

Micros PgCalendar::Add(Micros t, const Interval& interval) const {
  if (interval.months != 0) t = AddMonths(t, interval.months, zone_);
  if (interval.days != 0) t = AddDays(t, interval.days, zone_);
  Micros out = 0;
  if (__builtin_add_overflow(t, interval.micros, &out) ||
      !IS_VALID_TIMESTAMP(out)) {
    OutOfRange();
  }
  return out;
}

std::shared_ptr<const Calendar> CalendarOf(const std::string& time_zone) {
  const char* name = time_zone.c_str();
  pg_tz* zone = Guard([&] { return pg_tzset(name); });
  if (zone == nullptr) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "unknown time zone \"" + time_zone + "\"",
                      "Give a time zone name PostgreSQL knows, such as "
                      "\"UTC\" or \"Europe/Berlin\" (see pg_timezone_names).");
  }
  return std::make_shared<PgCalendar>(zone);
}

Interval IntervalOf(::Datum datum) {
  const auto* span =
      reinterpret_cast<const ::Interval*>(DatumGetPointer(datum));
  Interval out;
  out.months = span->month;
  out.days = span->day;
  out.micros = span->time;
  return out;
}

::Datum IntervalDatum(const Interval& interval) {
  ::Interval* span = Guard([] { return palloc_object(::Interval); });
  span->month = interval.months;
  span->day = interval.days;
  span->time = interval.micros;
  return IntervalPGetDatum(span);
}

}  // namespace credit_ledger::pg
