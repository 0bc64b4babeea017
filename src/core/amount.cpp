#include "amount.hpp"

#include "error.hpp"
#include "validate.hpp"

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

constexpr std::int64_t kPow10[] = {1,
                                   10,
                                   100,
                                   1000,
                                   10000,
                                   100000,
                                   1000000,
                                   10000000,
                                   100000000,
                                   1000000000,
                                   10000000000,
                                   100000000000,
                                   1000000000000,
                                   10000000000000,
                                   100000000000000,
                                   1000000000000000,
                                   10000000000000000,
                                   100000000000000000,
                                   1000000000000000000};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

[[noreturn]] void Malformed(std::string_view text, std::string_view what) {
  throw LedgerError(ErrorCode::kInvalidParameter,
                    std::string(what) + " is not a valid decimal number",
                    "The value given was \"" + Abbreviated(text) + "\".");
}

}  // namespace

void CheckScale(int scale) {
  if (scale < 0 || scale > kMaxScale) {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      "scale must be between 0 and 9",
                      "The scale given was " + std::to_string(scale) + ".");
  }
}

namespace {

// A plain decimal split into its significant parts.
struct Decimal {
  bool negative = false;
  std::string_view int_digits;   // without leading zeros
  std::string_view frac_digits;  // without trailing zeros
};

Decimal ScanDecimal(std::string_view text, std::string_view what) {
  if (text == "NaN" || text == "Infinity" || text == "-Infinity" ||
      text == "+Infinity" || text == "inf" || text == "-inf") {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      std::string(what) + " must be a finite number",
                      "The value given was " + std::string(text) + ".");
  }
  std::size_t pos = 0;
  Decimal d;
  if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) {
    d.negative = text[pos] == '-';
    ++pos;
  }
  const std::size_t int_begin = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  const std::size_t int_end = pos;
  std::size_t frac_begin = pos;
  std::size_t frac_end = pos;
  if (pos < text.size() && text[pos] == '.') {
    frac_begin = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    frac_end = pos;
  }
  if (pos != text.size() || (int_end == int_begin && frac_end == frac_begin)) {
    Malformed(text, what);
  }
  std::size_t int_first = int_begin;
  while (int_first < int_end && text[int_first] == '0') ++int_first;
  std::size_t frac_last = frac_end;
  while (frac_last > frac_begin && text[frac_last - 1] == '0') --frac_last;
  d.int_digits = text.substr(int_first, int_end - int_first);
  d.frac_digits = text.substr(frac_begin, frac_last - frac_begin);
  if (d.int_digits.empty() && d.frac_digits.empty()) d.negative = false;
  return d;
}

}  // namespace

std::int64_t ParseAmount(std::string_view text, int scale,
                         std::string_view what) {
  CheckScale(scale);
  const Decimal d = ScanDecimal(text, what);
  const std::size_t int_digits = d.int_digits.size();
  const std::size_t frac_digits = d.frac_digits.size();

  if (frac_digits > static_cast<std::size_t>(scale)) {
    throw LedgerError(
        ErrorCode::kInvalidParameter,
        std::string(what) +
            " has more decimal places than its credit type allows",
        "The value " + Abbreviated(text) + " has " +
            std::to_string(frac_digits) +
            " decimal places; the credit type's scale is " +
            std::to_string(scale) + ".",
        "Amounts are never rounded: send the exact value.");
  }
  if (int_digits + static_cast<std::size_t>(scale) > kMaxDigits) {
    throw LedgerError(
        ErrorCode::kOutOfRange, std::string(what) + " is out of range",
        "At scale " + std::to_string(scale) + " an amount holds at most " +
            std::to_string(kMaxDigits - scale) + " integer digits.");
  }

  std::int64_t units = 0;
  for (char c : d.int_digits) units = units * 10 + (c - '0');
  units *= kPow10[scale];
  std::int64_t frac = 0;
  for (char c : d.frac_digits) frac = frac * 10 + (c - '0');
  units += frac * kPow10[scale - static_cast<int>(frac_digits)];
  return d.negative ? -units : units;
}

int DecimalSign(std::string_view text, std::string_view what) {
  const Decimal d = ScanDecimal(text, what);
  if (d.int_digits.empty() && d.frac_digits.empty()) return 0;
  return d.negative ? -1 : 1;
}

void CheckPositiveAmount(std::string_view text) {
  if (DecimalSign(text) <= 0) {
    throw LedgerError(ErrorCode::kInvalidParameter, "amount must be positive",
                      "The amount given was " + std::string(text) + ".");
  }
}

std::string NormalizeDecimal(std::string_view text, std::string_view what) {
  const Decimal d = ScanDecimal(text, what);
  std::string out = d.negative ? "-" : "";
  out += d.int_digits.empty() ? std::string("0") : std::string(d.int_digits);
  if (!d.frac_digits.empty()) {
    out += '.';
    out += d.frac_digits;
  }
  return out;
}

std::string FormatAmount(std::int64_t units, int scale) {
  CheckScale(scale);
  const bool negative = units < 0;
  // Magnitude as unsigned so INT64_MIN cannot overflow.
  const std::uint64_t magnitude = negative
                                      ? 0 - static_cast<std::uint64_t>(units)
                                      : static_cast<std::uint64_t>(units);
  const auto divisor = static_cast<std::uint64_t>(kPow10[scale]);
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / divisor);
  if (scale > 0) {
    std::string frac = std::to_string(magnitude % divisor);
    out += '.';
    out.append(static_cast<std::size_t>(scale) - frac.size(), '0');
    out += frac;
  }
  return out;
}

namespace {

// The error for a sum or difference that leaves +-kMaxUnits.
[[noreturn]] void OutOfRange(std::string_view what) {
  throw LedgerError(ErrorCode::kOutOfRange,
                    std::string(what) + " is out of range",
                    "A balance holds at most 18 significant digits at its "
                    "credit type's scale.");
}

}  // namespace

std::int64_t AddUnits(std::int64_t a, std::int64_t b, std::string_view what) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum) || sum > kMaxUnits ||
      sum < -kMaxUnits) {
    OutOfRange(what);
  }
  return sum;
}

std::int64_t SubUnits(std::int64_t a, std::int64_t b, std::string_view what) {
  std::int64_t difference = 0;
  if (__builtin_sub_overflow(a, b, &difference) || difference > kMaxUnits ||
      difference < -kMaxUnits) {
    OutOfRange(what);
  }
  return difference;
}

}  // namespace credit_ledger
