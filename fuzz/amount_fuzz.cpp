// libFuzzer target for amount parsing and formatting (src/core/amount.hpp).
//
// Input: the first byte is the scale (a digit '0'..'9' means that scale, any
// other byte its signed value, so invalid scales are tried too); the rest is
// the decimal text. The same bytes, read as two int64s, drive the unit
// arithmetic checks. Seeds live in fuzz/corpus/amount_fuzz/ and are readable:
// "2-12.50" is "-12.50" at scale 2.
//
// Every result is compared with a small independent model of the grammar
// (optional sign, digits, optional '.', digits, at least one digit).
#include "amount.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace credit_ledger::fuzz {
namespace {

using Wide = __int128;

// A decimal reduced to its value: no leading integer zeros, no trailing
// fraction zeros, never a negative zero.
struct RefDecimal {
  bool negative = false;
  std::string int_digits;
  std::string frac_digits;
};

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The model: what the contract says a plain decimal is, written differently
// from the scanner in amount.cpp.
std::optional<RefDecimal> RefParse(std::string_view text) {
  RefDecimal d;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    d.negative = text[0] == '-';
    text.remove_prefix(1);
  }
  const std::size_t dot = text.find('.');
  std::string_view int_part = text.substr(0, dot);
  std::string_view frac_part =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (int_part.empty() && frac_part.empty()) return std::nullopt;
  if (!AllDigits(int_part) || !AllDigits(frac_part)) return std::nullopt;
  while (!int_part.empty() && int_part.front() == '0')
    int_part.remove_prefix(1);
  while (!frac_part.empty() && frac_part.back() == '0')
    frac_part.remove_suffix(1);
  d.int_digits = std::string(int_part);
  d.frac_digits = std::string(frac_part);
  if (d.int_digits.empty() && d.frac_digits.empty()) d.negative = false;
  return d;
}

// The canonical text NormalizeDecimal must produce for `d`.
std::string RefCanonical(const RefDecimal& d) {
  std::string out = d.negative ? "-" : "";
  out += d.int_digits.empty() ? "0" : d.int_digits;
  if (!d.frac_digits.empty()) out += "." + d.frac_digits;
  return out;
}

int RefSign(const RefDecimal& d) {
  if (d.int_digits.empty() && d.frac_digits.empty()) return 0;
  return d.negative ? -1 : 1;
}

// Runs `f`, which must throw a well-formed LedgerError with `code`.
template <typename F>
void ExpectError(ErrorCode code, F&& f) {
  try {
    f();
  } catch (const LedgerError& e) {
    CL_FUZZ_CHECK(e.code() == code);
    CL_FUZZ_CHECK(WellFormed(e));
    return;
  }
  Fail(__FILE__, __LINE__, "expected a LedgerError, got a result");
}

// DecimalSign and NormalizeDecimal on any text.
void CheckSignAndNormalize(std::string_view text,
                           const std::optional<RefDecimal>& ref) {
  if (!ref) {
    ExpectError(ErrorCode::kInvalidParameter, [&] { DecimalSign(text); });
    ExpectError(ErrorCode::kInvalidParameter, [&] { NormalizeDecimal(text); });
    return;
  }
  CL_FUZZ_CHECK(DecimalSign(text) == RefSign(*ref));
  const std::string normal = NormalizeDecimal(text);
  CL_FUZZ_CHECK(normal == RefCanonical(*ref));
  CL_FUZZ_CHECK(NormalizeDecimal(normal) == normal);  // idempotent
  CL_FUZZ_CHECK(DecimalSign(normal) == RefSign(*ref));
}

// ParseAmount on any text at any scale, and the round trip of what it returns.
void CheckParse(std::string_view text, int scale,
                const std::optional<RefDecimal>& ref) {
  if (scale < 0 || scale > kMaxScale || !ref ||
      ref->frac_digits.size() > static_cast<std::size_t>(scale)) {
    ExpectError(ErrorCode::kInvalidParameter,
                [&] { ParseAmount(text, scale); });
    return;
  }
  if (ref->int_digits.size() + static_cast<std::size_t>(scale) >
      static_cast<std::size_t>(kMaxDigits)) {
    ExpectError(ErrorCode::kOutOfRange, [&] { ParseAmount(text, scale); });
    return;
  }
  // At most 18 digits: the model's value fits easily in 128 bits.
  std::string digits = ref->int_digits + ref->frac_digits;
  digits.append(static_cast<std::size_t>(scale) - ref->frac_digits.size(), '0');
  Wide expected = 0;
  for (char c : digits) expected = expected * 10 + (c - '0');
  if (ref->negative) expected = -expected;

  const std::int64_t units = ParseAmount(text, scale);
  CL_FUZZ_CHECK(units == expected);
  CL_FUZZ_CHECK(units <= kMaxUnits && units >= -kMaxUnits);
  const std::string formatted = FormatAmount(units, scale);
  CL_FUZZ_CHECK(ParseAmount(formatted, scale) == units);
  CL_FUZZ_CHECK(NormalizeDecimal(formatted) == RefCanonical(*ref));
}

// FormatAmount of any int64 and its way back; AddUnits and SubUnits against
// 128-bit arithmetic.
void CheckUnits(std::int64_t a, std::int64_t b, int scale) {
  const std::string text = FormatAmount(a, scale);
  const std::size_t dot = text.find('.');
  if (scale == 0) {
    CL_FUZZ_CHECK(dot == std::string::npos);
  } else {
    CL_FUZZ_CHECK(dot != std::string::npos &&
                  text.size() - dot - 1 == static_cast<std::size_t>(scale));
  }
  CL_FUZZ_CHECK(RefParse(text).has_value());
  if (a >= -kMaxUnits && a <= kMaxUnits) {
    CL_FUZZ_CHECK(ParseAmount(text, scale) == a);
  } else {
    ExpectError(ErrorCode::kOutOfRange, [&] { ParseAmount(text, scale); });
  }

  const Wide sum = Wide{a} + b;
  if (sum > kMaxUnits || sum < -kMaxUnits) {
    ExpectError(ErrorCode::kOutOfRange, [&] { AddUnits(a, b); });
  } else {
    CL_FUZZ_CHECK(AddUnits(a, b) == sum);
  }
  const Wide difference = Wide{a} - b;
  if (difference > kMaxUnits || difference < -kMaxUnits) {
    ExpectError(ErrorCode::kOutOfRange, [&] { SubUnits(a, b); });
  } else {
    CL_FUZZ_CHECK(SubUnits(a, b) == difference);
  }
}

// Folds any int64 into the interesting band around +-kMaxUnits.
std::int64_t NearBound(std::int64_t raw) {
  constexpr std::int64_t kBand = 1000;
  const std::int64_t offset = raw % kBand;  // -999..999
  return raw < 0 ? -kMaxUnits + offset : kMaxUnits + offset;
}

// Folds any int64 into the bands at the ends of the int64 range (an offset
// of 0 gives INT64_MIN itself).
std::int64_t NearLimit(std::int64_t raw) {
  constexpr std::int64_t kBand = 1000;
  const std::int64_t offset = raw % kBand;  // -999..999
  return offset <= 0 ? std::numeric_limits<std::int64_t>::min() - offset
                     : std::numeric_limits<std::int64_t>::max() - (offset - 1);
}

}  // namespace
}  // namespace credit_ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace credit_ledger;
  using namespace credit_ledger::fuzz;
  if (size == 0) return 0;
  const char first = static_cast<char>(data[0]);
  const int scale = first >= '0' && first <= '9'
                        ? first - '0'
                        : static_cast<signed char>(first);
  const std::string_view text(reinterpret_cast<const char*>(data) + 1,
                              size - 1);
  const std::optional<RefDecimal> ref = RefParse(text);

  CheckSignAndNormalize(text, ref);
  CheckParse(text, scale, ref);

  std::int64_t raw[2] = {0, 0};
  std::memcpy(raw, data, size < sizeof raw ? size : sizeof raw);
  const int valid_scale = scale >= 0 && scale <= kMaxScale ? scale : 0;
  CheckUnits(raw[0], raw[1], valid_scale);
  CheckUnits(NearBound(raw[0]), NearBound(raw[1]), valid_scale);
  CheckUnits(NearBound(raw[0]), raw[1] % (kMaxUnits + 1), valid_scale);
  CheckUnits(NearLimit(raw[0]), NearLimit(raw[1]), valid_scale);
  return 0;
}
