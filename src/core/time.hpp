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

namespace credit_ledger {

// An instant as ISO 8601 in UTC with microseconds ("2026-03-01T12:00:00.5Z"
// drops trailing zeros; whole seconds print no fraction), for JSON payloads.
std::string FormatTimestampUtc(Micros t);

}  // namespace credit_ledger
