#include "time.hpp"

#include "error.hpp"
#include "validate.hpp"

#include <cstdio>

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
// civil_from_days).
void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos` of `text` into `out`, advancing `pos`.
bool Digits(std::string_view text, std::size_t& pos, std::size_t n,
            unsigned& out) {
  if (text.size() - pos < n) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return true;
}

bool Accept(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// The instant `text` names, or false when it is not RFC 3339 as documented.
bool ReadRfc3339(std::string_view text, Micros& out) {
  std::size_t pos = 0;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, pos, 4, year) || !Accept(text, pos, '-') ||
      !Digits(text, pos, 2, month) || !Accept(text, pos, '-') ||
      !Digits(text, pos, 2, day)) {
    return false;
  }
  if (!Accept(text, pos, 'T') && !Accept(text, pos, 't') &&
      !Accept(text, pos, ' ')) {
    return false;
  }
  if (!Digits(text, pos, 2, hour) || !Accept(text, pos, ':') ||
      !Digits(text, pos, 2, minute) || !Accept(text, pos, ':') ||
      !Digits(text, pos, 2, second)) {
    return false;
  }
  Micros fraction = 0;
  if (Accept(text, pos, '.')) {
    std::size_t digits = 0;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      if (++digits > 6) return false;  // finer than the ledger keeps
      fraction = fraction * 10 + (text[pos] - '0');
    }
    if (digits == 0) return false;
    for (; digits < 6; ++digits) fraction *= 10;
  }
  std::int64_t offset_minutes = 0;
  if (!Accept(text, pos, 'Z') && !Accept(text, pos, 'z')) {
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) {
      return false;
    }
    const bool negative = text[pos++] == '-';
    unsigned oh = 0, om = 0;
    if (!Digits(text, pos, 2, oh)) return false;
    if (pos < text.size()) {
      Accept(text, pos, ':');
      if (!Digits(text, pos, 2, om)) return false;
    }
    if (oh > 23 || om > 59) return false;
    offset_minutes =
        (negative ? -1 : 1) * static_cast<std::int64_t>(oh * 60 + om);
  }
  if (pos != text.size()) return false;
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month) || hour > 23 || minute > 59 ||
      second > 59) {
    return false;
  }
  constexpr std::int64_t kDaysTo2000 = 10957;  // 1970-01-01 to 2000-01-01
  const std::int64_t seconds =
      (DaysFromCivil(year, month, day) - kDaysTo2000) * 86400 +
      std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second -
      std::int64_t{offset_minutes} * 60;
  out = seconds * kMicrosPerSecond + fraction;
  // Only instants whose UTC form also has a four-digit year: every accepted
  // value can be written back (FormatTimestampUtc) and read again.
  const std::int64_t first = (DaysFromCivil(1, 1, 1) - kDaysTo2000) * 86400;
  const std::int64_t end = (DaysFromCivil(10000, 1, 1) - kDaysTo2000) * 86400;
  return seconds >= first && seconds < end;
}

}  // namespace

Micros ParseTimestampRfc3339(std::string_view text, std::string_view what) {
  Micros out = 0;
  if (!ReadRfc3339(text, out)) {
    const std::string shown = Abbreviated(text);
    throw LedgerError(
        ErrorCode::kInvalidParameter,
        std::string(what) + " is not a timestamp with a time zone offset",
        "The value given was \"" + shown + "\".",
        "Write an RFC 3339 timestamp such as \"2026-03-01T12:00:00Z\" or "
        "\"2026-03-01T13:00:00.250+01:00\".");
  }
  return out;
}

void CheckOccurredAt(Micros occurred_at, Micros now) {
  // Unsigned: the difference of two extreme instants overflows an int64.
  if (occurred_at > now && static_cast<std::uint64_t>(occurred_at) -
                                   static_cast<std::uint64_t>(now) >
                               static_cast<std::uint64_t>(kMaxOccurredAhead)) {
    throw LedgerError(
        ErrorCode::kInvalidParameter, "occurred_at is too far in the future",
        "The value given was " + FormatTimestampUtc(occurred_at) +
            "; an event may occur at most one day after the ledger's "
            "current time, " +
            FormatTimestampUtc(now) + ".");
  }
}

std::string FormatTimestampUtc(Micros t) {
  constexpr Micros kPgEpochUnixSeconds = 946684800;  // 2000-01-01 - 1970-01-01
  Micros secs = t / kMicrosPerSecond;
  Micros micros = t % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    --secs;
  }
  secs += kPgEpochUnixSeconds;
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t year = 0;
  unsigned month = 0, day = 0;
  CivilFromDays(days, year, month, day);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                static_cast<long long>(year), month, day,
                static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  std::string out = buf;
  if (micros != 0) {
    std::snprintf(buf, sizeof(buf), ".%06lld", static_cast<long long>(micros));
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  out += 'Z';
  return out;
}

}  // namespace credit_ledger
