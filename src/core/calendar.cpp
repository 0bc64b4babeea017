#include "calendar.hpp"

#include "error.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// Days from 1970-01-01 to 2000-01-01, the ledger's epoch.
constexpr std::int64_t kEpochDays = 10957;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe =
      (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  CivilDate date;
  date.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  date.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  date.year = yoe + era * 400 + (date.month <= 2 ? 1 : 0);
  return date;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

[[noreturn]] void OutOfRange(const char* what) {
  throw LedgerError(ErrorCode::kOutOfRange,
                    std::string(what) + " is out of range",
                    "The instant lies beyond what a timestamptz holds.");
}

// The local time `local` moved by whole months (the day clamped to the end
// of the month) and days on the calendar, its time of day kept.
Micros MoveLocal(Micros local, std::int32_t months, std::int32_t days) {
  CivilDate date = DateOf(local);
  const Micros time_of_day = local - LocalMidnight(date);
  if (months != 0) {
    const std::int64_t index = date.year * 12 + (date.month - 1) + months;
    date.year = FloorDiv(index, 12);
    date.month = static_cast<int>(index - date.year * 12) + 1;
    date.day = std::min(date.day, DaysInMonth(date.year, date.month));
  }
  Micros midnight = LocalMidnight(date);
  if (days != 0) midnight += static_cast<Micros>(days) * kMicrosPerDay;
  return midnight + time_of_day;
}

}  // namespace

bool operator==(const Interval& a, const Interval& b) {
  return a.months == b.months && a.days == b.days && a.micros == b.micros;
}

Interval Times(const Interval& interval, std::int64_t k, const char* what) {
  Interval out;
  std::int64_t months = 0;
  std::int64_t days = 0;
  if (k < 0 ||
      __builtin_mul_overflow(std::int64_t{interval.months}, k, &months) ||
      __builtin_mul_overflow(std::int64_t{interval.days}, k, &days) ||
      __builtin_mul_overflow(interval.micros, k, &out.micros) ||
      __builtin_mul_overflow(months, 1, &out.months) ||
      __builtin_mul_overflow(days, 1, &out.days)) {
    OutOfRange(what);
  }
  return out;
}

void CheckForwardInterval(const Interval& interval, const char* what) {
  const bool none_negative =
      interval.months >= 0 && interval.days >= 0 && interval.micros >= 0;
  if (!none_negative || interval == Interval{}) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      std::string(what) + " must be a positive interval",
                      "Each of its months, days and time must be zero or "
                      "more, and one of them more than zero.");
  }
}

CivilDate DateOf(Micros local) {
  return CivilFromDays(FloorDiv(local, kMicrosPerDay) + kEpochDays);
}

Micros LocalMidnight(const CivilDate& date) {
  return (DaysFromCivil(date.year, date.month, date.day) - kEpochDays) *
         kMicrosPerDay;
}

int DaysInMonth(std::int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

ZoneCalendar::ZoneCalendar(Micros initial, std::vector<Transition> transitions)
    : initial_(initial), transitions_(std::move(transitions)) {
  std::sort(
      transitions_.begin(), transitions_.end(),
      [](const Transition& a, const Transition& b) { return a.at < b.at; });
}

Micros ZoneCalendar::OffsetAt(Micros t) const {
  Micros offset = initial_;
  for (const Transition& tr : transitions_) {
    if (tr.at > t) break;
    offset = tr.offset;
  }
  return offset;
}

Micros ZoneCalendar::FromLocal(Micros local) const {
  // The last period whose offset maps `local` into it: in a repeated hour
  // that is the one after the transition.
  std::optional<Micros> found;
  Micros before = initial_;
  for (std::size_t i = 0; i <= transitions_.size(); ++i) {
    const Micros offset = i == 0 ? initial_ : transitions_[i - 1].offset;
    const Micros utc = local - offset;
    const bool after_start = i == 0 || utc >= transitions_[i - 1].at;
    const bool before_end =
        i == transitions_.size() || utc < transitions_[i].at;
    if (after_start && before_end) found = utc;
    // A skipped local time lies after the start of a transition's gap.
    if (i < transitions_.size() && local - offset >= transitions_[i].at &&
        local - transitions_[i].offset < transitions_[i].at) {
      before = offset;
    }
  }
  return found ? *found : local - before;
}

Micros ZoneCalendar::Add(Micros t, const Interval& interval) const {
  if (interval.months != 0) {
    t = FromLocal(MoveLocal(t + OffsetAt(t), interval.months, 0));
  }
  if (interval.days != 0) {
    t = FromLocal(MoveLocal(t + OffsetAt(t), 0, interval.days));
  }
  if (__builtin_add_overflow(t, interval.micros, &t) || t == kNever) {
    OutOfRange("instant");
  }
  return t;
}

const Calendar& UtcCalendar() {
  static const ZoneCalendar utc(0);
  return utc;
}

}  // namespace credit_ledger
