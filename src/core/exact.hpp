// Exact arithmetic on non-negative decimals of up to 18 significant digits
// (prices, quantities, values, cost bases): products and quotients brought
// to a credit type's scale without ever passing through a binary float. The
// intermediate results (up to 36 digits) are held in 128-bit integers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace credit_ledger {

// A non-negative decimal: coefficient / 10^decimals.
struct Fixed {
  std::uint64_t coefficient = 0;
  int decimals = 0;
};

// The most decimals a Fixed holds (a price of 10^-18 credits per unit).
constexpr int kMaxFixedDecimals = 18;

// Reads a plain decimal (numeric_out's form). 22023 for malformed text, NaN,
// infinities and negative values; 22003 for more than 18 significant digits
// or more than kMaxFixedDecimals decimals. `what` names the argument.
Fixed ParseFixed(std::string_view text, std::string_view what);

// The canonical text of a Fixed ("0.5", "12", "0.000001").
std::string FormatFixed(const Fixed& value);

// How a result with more decimals than the scale is brought to it. Operands
// are never negative, so up is away from zero and down toward zero.
enum class Rounding { kUp, kDown, kHalfEven };

// a x b in units at `scale`, rounded by `rounding`; 22003 naming `what` when
// the result exceeds kMaxUnits.
std::int64_t ScaledProduct(const Fixed& a, const Fixed& b, int scale,
                           Rounding rounding, std::string_view what);

// a x b exactly, as canonical decimal text ("9.99", "12", "0.0001").
std::string ExactProduct(const Fixed& a, const Fixed& b);

// num / den in units at `scale`: the quotient rounded down and whether it
// is exact; 22003 naming `what` when it exceeds kMaxUnits. `den` must not be
// zero (XX000: callers check).
struct Quotient {
  std::int64_t floor = 0;
  bool exact = false;
};
Quotient ScaledQuotient(const Fixed& num, const Fixed& den, int scale,
                        std::string_view what);

}  // namespace credit_ledger
