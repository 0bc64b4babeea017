#include "exact.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "validate.hpp"

#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

using Wide = unsigned __int128;

// 10^n for n <= 38, the largest power of ten a Wide holds.
Wide Pow10(int n) {
  Wide p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

[[noreturn]] void OutOfRange(std::string_view what, std::string detail) {
  throw LedgerError(ErrorCode::kOutOfRange,
                    std::string(what) + " is out of range", std::move(detail));
}

// A Wide result as units, or 22003.
std::int64_t ToUnits(Wide value, std::string_view what) {
  if (value > static_cast<Wide>(kMaxUnits)) {
    OutOfRange(what, "An amount holds at most 18 significant digits at its "
                     "credit type's scale.");
  }
  return static_cast<std::int64_t>(value);
}

// quotient rounded by `rounding` given the remainder of a division by
// `divisor`.
Wide Round(Wide quotient, Wide remainder, Wide divisor, Rounding rounding) {
  if (remainder == 0 || rounding == Rounding::kDown) return quotient;
  if (rounding == Rounding::kUp) return quotient + 1;
  const Wide twice = remainder * 2;  // remainder < divisor <= 10^36
  if (twice > divisor || (twice == divisor && quotient % 2 == 1)) {
    return quotient + 1;
  }
  return quotient;
}

}  // namespace

Fixed ParseFixed(std::string_view text, std::string_view what) {
  const std::string canonical = NormalizeDecimal(text, what);
  if (canonical[0] == '-') {
    throw LedgerError(ErrorCode::kInvalidParameter,
                      std::string(what) + " must not be negative",
                      "The value given was " + Abbreviated(text) + ".");
  }
  const std::size_t dot = canonical.find('.');
  std::string digits = canonical.substr(0, dot);
  Fixed f;
  if (dot != std::string::npos) {
    f.decimals = static_cast<int>(canonical.size() - dot - 1);
    digits += canonical.substr(dot + 1);
  }
  const std::size_t first = digits.find_first_not_of('0');
  const std::size_t significant =
      first == std::string::npos ? 0 : digits.size() - first;
  if (significant > kMaxDigits || f.decimals > kMaxFixedDecimals) {
    OutOfRange(what, "The value " + Abbreviated(text) +
                         " has more than 18 significant digits or 18 "
                         "decimal places.");
  }
  for (std::size_t i = first; i < digits.size(); ++i) {
    f.coefficient = f.coefficient * 10 + static_cast<unsigned>(digits[i] - '0');
  }
  return f;
}

std::string FormatFixed(const Fixed& value) {
  return ExactProduct(value, Fixed{1, 0});
}

std::int64_t ScaledProduct(const Fixed& a, const Fixed& b, int scale,
                           Rounding rounding, std::string_view what) {
  CheckScale(scale);
  // Both coefficients are below 10^18, so the product is below 10^36.
  const Wide product = static_cast<Wide>(a.coefficient) * b.coefficient;
  const int decimals = a.decimals + b.decimals;  // at most 36
  if (decimals <= scale) {
    const Wide factor = Pow10(scale - decimals);
    if (product != 0 && product > static_cast<Wide>(kMaxUnits) / factor) {
      return ToUnits(static_cast<Wide>(kMaxUnits) + 1, what);
    }
    return ToUnits(product * factor, what);
  }
  const Wide divisor = Pow10(decimals - scale);  // at most 10^36
  return ToUnits(Round(product / divisor, product % divisor, divisor, rounding),
                 what);
}

std::string ExactProduct(const Fixed& a, const Fixed& b) {
  Wide product = static_cast<Wide>(a.coefficient) * b.coefficient;
  int decimals = a.decimals + b.decimals;
  while (decimals > 0 && product % 10 == 0) {
    product /= 10;
    --decimals;
  }
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + product % 10));
    product /= 10;
  } while (product != 0);
  const auto d = static_cast<std::size_t>(decimals);
  if (d == 0) return digits;
  if (digits.size() <= d) digits.insert(0, d + 1 - digits.size(), '0');
  digits.insert(digits.size() - d, ".");
  return digits;
}

Quotient ScaledQuotient(const Fixed& num, const Fixed& den, int scale,
                        std::string_view what) {
  CheckScale(scale);
  if (den.coefficient == 0) {
    throw LedgerError(ErrorCode::kInternal, "division by zero was planned");
  }
  // units = num.c x 10^(den.d + scale - num.d) / den.c
  const int shift = den.decimals + scale - num.decimals;  // -18 .. 27
  Wide n = num.coefficient;
  Wide d = den.coefficient;
  if (shift >= 0) {
    // n < 10^18 x 10^27 may exceed 128 bits; then n / d > 10^20 anyway.
    if (__builtin_mul_overflow(n, Pow10(shift), &n)) {
      return Quotient{ToUnits(static_cast<Wide>(kMaxUnits) + 1, what), false};
    }
  } else {
    d *= Pow10(-shift);  // < 10^18 x 10^18
  }
  return Quotient{ToUnits(n / d, what), n % d == 0};
}

}  // namespace credit_ledger
