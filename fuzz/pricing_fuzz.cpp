// libFuzzer target for the exact decimal arithmetic of prices and value
// input (src/core/exact.hpp, pricing.hpp, money.hpp).
//
// Two decimals of up to 18 digits and 18 decimals, a scale and a rounding
// mode. ScaledProduct is checked against an independent model that drops the
// product's extra digits one at a time (keeping the first dropped digit and
// whether anything after it was non-zero) and rounds from those; 22003
// exactly when the model's result passes 10^18 - 1. FormatFixed re-parses to
// the same value; ScaledQuotient is exact exactly when floor x den gives num
// back; PriceUsage and GrantUnits only ever raise well-formed errors.
#include "amount.hpp"
#include "error.hpp"
#include "exact.hpp"
#include "fuzz_check.hpp"
#include "money.hpp"
#include "pricing.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

namespace credit_ledger::fuzz {
namespace {

using Wide = unsigned __int128;

Fixed PickFixed(FuzzedDataProvider& in) {
  Fixed f;
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
  case 0:
    f.coefficient = kMaxUnits;
    break;
  case 1:
    f.coefficient = in.ConsumeIntegralInRange<std::uint64_t>(0, 20);
    break;
  default:
    f.coefficient = in.ConsumeIntegralInRange<std::uint64_t>(0, kMaxUnits);
  }
  f.decimals = in.ConsumeIntegralInRange<int>(0, kMaxFixedDecimals);
  return f;
}

// The model: a x b at `scale`, or nothing past kMaxUnits.
std::optional<std::int64_t> Model(const Fixed& a, const Fixed& b, int scale,
                                  Rounding r) {
  Wide q = static_cast<Wide>(a.coefficient) * b.coefficient;
  int decimals = a.decimals + b.decimals;
  int first_dropped = 0;
  bool sticky = false;
  for (; decimals > scale; --decimals) {
    sticky = sticky || first_dropped != 0;
    first_dropped = static_cast<int>(q % 10);
    q /= 10;
  }
  for (; decimals < scale; ++decimals) {
    if (q > static_cast<Wide>(kMaxUnits)) return std::nullopt;
    q *= 10;
  }
  const bool inexact = first_dropped != 0 || sticky;
  if (r == Rounding::kUp && inexact) ++q;
  if (r == Rounding::kHalfEven &&
      (first_dropped > 5 || (first_dropped == 5 && (sticky || q % 2 == 1)))) {
    ++q;
  }
  if (q > static_cast<Wide>(kMaxUnits)) return std::nullopt;
  return static_cast<std::int64_t>(q);
}

void CheckProduct(const Fixed& a, const Fixed& b, int scale, Rounding r) {
  const std::optional<std::int64_t> want = Model(a, b, scale, r);
  try {
    const std::int64_t got = ScaledProduct(a, b, scale, r, "credits");
    CL_FUZZ_CHECK(want && got == *want);
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(!want && e.code() == ErrorCode::kOutOfRange);
    CL_FUZZ_CHECK(WellFormed(e));
  }
}

void CheckQuotient(const Fixed& num, const Fixed& den, int scale) {
  if (den.coefficient == 0) return;
  try {
    const Quotient q = ScaledQuotient(num, den, scale, "amount");
    const Fixed floor{static_cast<std::uint64_t>(q.floor), scale};
    CL_FUZZ_CHECK(q.exact == (ExactProduct(floor, den) == FormatFixed(num)));
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(e.code() == ErrorCode::kOutOfRange && WellFormed(e));
  }
}

// A usage report or a value grant from these numbers raises only
// well-formed errors.
void CheckEntryPoints(const Fixed& a, const Fixed& b, int scale, Rounding r) {
  try {
    PriceRow price;
    price.credits_per_unit = FormatFixed(b);
    price.rounding = r;
    const PricedUsage u = PriceUsage(price, FormatFixed(a), scale);
    CL_FUZZ_CHECK(u.quantity == FormatFixed(a) && a.coefficient != 0);
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(WellFormed(e));
  }
  try {
    const std::int64_t units =
        GrantUnits(std::nullopt, FormatFixed(a), FormatFixed(b), scale);
    CL_FUZZ_CHECK(ExactProduct(Fixed{static_cast<std::uint64_t>(units), scale},
                               b) == FormatFixed(a));
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(WellFormed(e));
  }
}

}  // namespace
}  // namespace credit_ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace credit_ledger;
  using namespace credit_ledger::fuzz;
  FuzzedDataProvider in(data, size);
  const Fixed a = PickFixed(in);
  const Fixed b = PickFixed(in);
  const int scale = in.ConsumeIntegralInRange<int>(0, kMaxScale);
  const auto r = static_cast<Rounding>(in.ConsumeIntegralInRange<int>(0, 2));
  CL_FUZZ_CHECK(FormatFixed(ParseFixed(FormatFixed(a), "a")) == FormatFixed(a));
  CheckProduct(a, b, scale, r);
  CheckQuotient(a, b, scale);
  CheckEntryPoints(a, b, scale, r);
  return 0;
}
