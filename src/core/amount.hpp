// Credit amounts as exact fixed-point integers ("units"): an amount of a credit
// type with scale s is stored as amount x 10^s in an int64. Every conversion is
// exact or fails loudly; nothing is ever rounded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace credit_ledger {

constexpr int kMaxScale = 9;

// A credit type's scale: 0..kMaxScale decimals, or 22023.
void CheckScale(int scale);
constexpr int kMaxDigits = 18;
// The largest magnitude a stored amount, remaining or balance may reach.
constexpr std::int64_t kMaxUnits = 999999999999999999;  // 10^18 - 1

// Parses a plain decimal ("-12.50", as numeric_out writes it) into units at
// `scale`. Trailing fractional zeros are not decimals: "1.50" is valid at scale
// 1. `what` names the argument in messages ("amount", "overdraft_limit").
// Throws 22023 for malformed text, NaN, infinities and excess decimals, 22003
// for more than 18 significant digits at the scale.
std::int64_t ParseAmount(std::string_view text, int scale,
                         std::string_view what = "amount");

// Writes units at `scale` as a plain decimal with exactly `scale` decimals.
std::string FormatAmount(std::int64_t units, int scale);

// a + b, or 22003 naming `what` when the result leaves +-kMaxUnits.
std::int64_t AddUnits(std::int64_t a, std::int64_t b,
                      std::string_view what = "balance");

// a - b, with the same bound.
std::int64_t SubUnits(std::int64_t a, std::int64_t b,
                      std::string_view what = "balance");

}  // namespace credit_ledger

namespace credit_ledger {

// The sign (-1, 0, 1) of a plain decimal of any length; 22023 if malformed.
int DecimalSign(std::string_view text, std::string_view what = "amount");

// An amount argument that must be above zero: 22023 otherwise.
void CheckPositiveAmount(std::string_view text);

// The canonical form of a plain decimal, for fingerprints: no leading or
// trailing zeros that carry no value, no sign on zero ("010.50" -> "10.5").
std::string NormalizeDecimal(std::string_view text,
                             std::string_view what = "amount");

}  // namespace credit_ledger
