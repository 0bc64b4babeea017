#include "amount.hpp"
#include "error.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace credit_ledger {
namespace {

ErrorCode CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const LedgerError& e) {
    return e.code();
  }
  ADD_FAILURE() << "no LedgerError thrown";
  return ErrorCode::kInternal;
}

TEST(ParseAmount, ScalesIntegersAndDecimals) {
  EXPECT_EQ(ParseAmount("100", 0), 100);
  EXPECT_EQ(ParseAmount("100", 2), 10000);
  EXPECT_EQ(ParseAmount("12.34", 2), 1234);
  EXPECT_EQ(ParseAmount("12.3", 2), 1230);
  EXPECT_EQ(ParseAmount("-0.01", 2), -1);
  EXPECT_EQ(ParseAmount("+7", 0), 7);
  EXPECT_EQ(ParseAmount("0.000000001", 9), 1);
  EXPECT_EQ(ParseAmount("0", 3), 0);
}

TEST(ParseAmount, TrailingZerosAreNotDecimals) {
  EXPECT_EQ(ParseAmount("1.50", 1), 15);
  EXPECT_EQ(ParseAmount("10.000", 0), 10);
  EXPECT_EQ(ParseAmount("00012.0", 0), 12);
}

TEST(ParseAmount, RejectsExcessDecimalsWithoutRounding) {
  EXPECT_EQ(CodeOf([] { ParseAmount("1.234", 2); }),
            ErrorCode::kInvalidParameter);
  EXPECT_EQ(CodeOf([] { ParseAmount("0.5", 0); }),
            ErrorCode::kInvalidParameter);
  EXPECT_EQ(CodeOf([] { ParseAmount("0.0000000001", 9); }),
            ErrorCode::kInvalidParameter);
}

TEST(ParseAmount, EighteenSignificantDigitsAtTheScale) {
  EXPECT_EQ(ParseAmount("999999999999999999", 0), 999999999999999999);
  EXPECT_EQ(ParseAmount("999999999.999999999", 9), 999999999999999999);
  EXPECT_EQ(ParseAmount("-999999999999999999", 0), -999999999999999999);
  EXPECT_EQ(CodeOf([] { ParseAmount("1000000000000000000", 0); }),
            ErrorCode::kOutOfRange);
  EXPECT_EQ(CodeOf([] { ParseAmount("1000000000", 9); }),
            ErrorCode::kOutOfRange);
  EXPECT_EQ(CodeOf([] { ParseAmount("99999999999999999999999999999", 2); }),
            ErrorCode::kOutOfRange);
  // Leading zeros are not significant.
  EXPECT_EQ(ParseAmount("0000000000000000000000001", 0), 1);
}

TEST(ParseAmount, RejectsNonFiniteAndMalformed) {
  for (const char* bad : {"NaN", "Infinity", "-Infinity", "", "-", ".", "1e5",
                          "1.2.3", " 1", "1 ", "0x10", "1,5", "--1"}) {
    EXPECT_EQ(CodeOf([&] { ParseAmount(bad, 2); }),
              ErrorCode::kInvalidParameter)
        << bad;
  }
}

TEST(ParseAmount, RejectsBadScale) {
  EXPECT_EQ(CodeOf([] { ParseAmount("1", -1); }), ErrorCode::kInvalidParameter);
  EXPECT_EQ(CodeOf([] { ParseAmount("1", 10); }), ErrorCode::kInvalidParameter);
}

TEST(FormatAmount, WritesExactlyTheScale) {
  EXPECT_EQ(FormatAmount(0, 0), "0");
  EXPECT_EQ(FormatAmount(0, 2), "0.00");
  EXPECT_EQ(FormatAmount(1234, 2), "12.34");
  EXPECT_EQ(FormatAmount(-5, 3), "-0.005");
  EXPECT_EQ(FormatAmount(999999999999999999, 9), "999999999.999999999");
  EXPECT_EQ(FormatAmount(INT64_MIN, 0), "-9223372036854775808");
}

TEST(FormatAmount, RoundTripsThroughParse) {
  for (int scale = 0; scale <= 9; ++scale) {
    for (std::int64_t units : {0LL, 1LL, -1LL, 42LL, 123456789LL,
                               999999999999999999LL, -999999999999999999LL}) {
      EXPECT_EQ(ParseAmount(FormatAmount(units, scale), scale), units)
          << units << " at scale " << scale;
    }
  }
}

TEST(CheckedArithmetic, StaysWithinEighteenDigits) {
  EXPECT_EQ(AddUnits(kMaxUnits - 1, 1), kMaxUnits);
  EXPECT_EQ(SubUnits(-kMaxUnits + 1, 1), -kMaxUnits);
  EXPECT_EQ(CodeOf([] { AddUnits(kMaxUnits, 1); }), ErrorCode::kOutOfRange);
  EXPECT_EQ(CodeOf([] { SubUnits(-kMaxUnits, 1); }), ErrorCode::kOutOfRange);
  EXPECT_EQ(CodeOf([] { AddUnits(INT64_MAX, INT64_MAX); }),
            ErrorCode::kOutOfRange);
  EXPECT_EQ(CodeOf([] { SubUnits(0, INT64_MIN); }), ErrorCode::kOutOfRange);
}

// Found by fuzz/amount_fuzz: SubUnits refused every b == INT64_MIN, even when
// a - b is small (a = INT64_MIN + 5 gives 5).
TEST(CheckedArithmetic, SubUnitsIsExactNearInt64Min) {
  EXPECT_EQ(SubUnits(INT64_MIN + 5, INT64_MIN), 5);
  EXPECT_EQ(SubUnits(INT64_MIN, INT64_MIN), 0);
  EXPECT_EQ(CodeOf([] { SubUnits(INT64_MAX, INT64_MIN); }),
            ErrorCode::kOutOfRange);
}

}  // namespace
}  // namespace credit_ledger

namespace credit_ledger {
namespace {

TEST(DecimalSign, AnyLength) {
  EXPECT_EQ(DecimalSign("0"), 0);
  EXPECT_EQ(DecimalSign("-0.000"), 0);
  EXPECT_EQ(DecimalSign("-0.0001"), -1);
  EXPECT_EQ(DecimalSign("123456789012345678901234567890.5"), 1);
  EXPECT_THROW(DecimalSign("NaN"), LedgerError);
  EXPECT_THROW(DecimalSign("abc"), LedgerError);
}

TEST(NormalizeDecimal, EqualValuesGiveEqualText) {
  EXPECT_EQ(NormalizeDecimal("10.50"), "10.5");
  EXPECT_EQ(NormalizeDecimal("010.5"), "10.5");
  EXPECT_EQ(NormalizeDecimal("10"), "10");
  EXPECT_EQ(NormalizeDecimal("10.000"), "10");
  EXPECT_EQ(NormalizeDecimal("-0.00"), "0");
  EXPECT_EQ(NormalizeDecimal("0.010"), "0.01");
  EXPECT_EQ(NormalizeDecimal("-1.10"), "-1.1");
  EXPECT_EQ(NormalizeDecimal(".5"), "0.5");
}

}  // namespace
}  // namespace credit_ledger
