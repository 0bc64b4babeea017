// Instants as the ledger sees them: microseconds since 2000-01-01 00:00 UTC,
// PostgreSQL's own timestamptz representation, so no conversion is ever lossy.
#pragma once

#include <cstdint>
#include <limits>

namespace credit_ledger {

using Micros = std::int64_t;

// A grant without an expiry never lapses; it sorts after every finite instant.
constexpr Micros kNever = std::numeric_limits<Micros>::max();

constexpr Micros kMicrosPerSecond = 1000000;
constexpr Micros kMicrosPerDay = 86400 * kMicrosPerSecond;

}  // namespace credit_ledger

#include <string>
#include <string_view>

namespace credit_ledger {

// An instant as ISO 8601 in UTC with microseconds ("2026-03-01T12:00:00.5Z"
// drops trailing zeros; whole seconds print no fraction), for JSON payloads.
std::string FormatTimestampUtc(Micros t);

// Reads an explicit instant written as RFC 3339 / ISO 8601:
// YYYY-MM-DD, then T (or t, or a space), hh:mm:ss with up to 6 decimals, then
// Z (or z) or an offset +hh, +hhmm or +hh:mm (or -). Years 0001 to 9999, no
// leap seconds. Anything else - a date alone, no offset, "today", "now",
// time zone names, more than microsecond precision - is 22023 naming `what`:
// an instant must not depend on the session's time zone or clock.
Micros ParseTimestampRfc3339(std::string_view text, std::string_view what);

// How far after the ledger's current time an event may say it occurred:
// enough for any clock skew or a time zone mislabelled as UTC (offsets reach
// +14:00), short enough to catch a wrong year or a placeholder date.
constexpr Micros kMaxOccurredAhead = kMicrosPerDay;

// An occurred_at (credit_consume's argument or a batch event's field) must
// not be more than kMaxOccurredAhead after `now`: 22023 otherwise. The past
// is not bounded (usage may be imported long after it happened).
void CheckOccurredAt(Micros occurred_at, Micros now);

}  // namespace credit_ledger
