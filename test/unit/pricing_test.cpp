#include "exact.hpp"
#include "pricing.hpp"
#include "refusal.hpp"
#include "time.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

Micros At(const char* text) {
  return ParseTimestampRfc3339(text, "test instant");
}

PriceRow Price(const char* per_unit, Rounding r = Rounding::kUp) {
  PriceRow p;
  p.price_id = 1;
  p.credits_per_unit = per_unit;
  p.rounding = r;
  return p;
}

std::int64_t Units(const char* quantity, const char* per_unit, Rounding r,
                   int scale) {
  return PriceUsage(Price(per_unit, r), quantity, scale).units;
}

TEST(Rounding, ParsesTheThreeModesAndNothingElse) {
  EXPECT_EQ(ParseRounding("up"), Rounding::kUp);
  EXPECT_EQ(ParseRounding("down"), Rounding::kDown);
  EXPECT_EQ(ParseRounding("half_even"), Rounding::kHalfEven);
  EXPECT_EQ(RoundingName(Rounding::kHalfEven), "half_even");
  const Refusal r = RefusalOf([] { ParseRounding("HALF_UP"); });
  EXPECT_EQ(r.sqlstate, "22023");
  EXPECT_EQ(r.message, "rounding must be up, down or half_even");
  EXPECT_EQ(r.detail, "The value given was \"HALF_UP\".");
  EXPECT_EQ(StateOf([] { ParseRounding(""); }), "22023");
}

TEST(PriceUsage, EachRoundingModeOnTiesAndBetween) {
  // 5 x 0.5 = 2.5: a tie at scale 0.
  EXPECT_EQ(Units("5", "0.5", Rounding::kUp, 0), 3);
  EXPECT_EQ(Units("5", "0.5", Rounding::kDown, 0), 2);
  EXPECT_EQ(Units("5", "0.5", Rounding::kHalfEven, 0), 2);
  // 3 x 0.5 = 1.5: half_even goes to the even neighbour, 2.
  EXPECT_EQ(Units("3", "0.5", Rounding::kHalfEven, 0), 2);
  // 7 x 0.3 = 2.1 and 9 x 0.3 = 2.7: not ties.
  EXPECT_EQ(Units("7", "0.3", Rounding::kUp, 0), 3);
  EXPECT_EQ(Units("7", "0.3", Rounding::kHalfEven, 0), 2);
  EXPECT_EQ(Units("9", "0.3", Rounding::kHalfEven, 0), 3);
  EXPECT_EQ(Units("9", "0.3", Rounding::kDown, 0), 2);
  // At scale 2: 0.125 x 1 = 0.125 -> 0.12 (even), 0.135 -> 0.14 (even).
  EXPECT_EQ(Units("0.125", "1", Rounding::kHalfEven, 2), 12);
  EXPECT_EQ(Units("0.135", "1", Rounding::kHalfEven, 2), 14);
  EXPECT_EQ(Units("0.125", "1", Rounding::kUp, 2), 13);
  // A product at the scale or coarser is exact whatever the mode.
  EXPECT_EQ(Units("1000", "5", Rounding::kDown, 0), 5000);
  EXPECT_EQ(Units("3", "0.25", Rounding::kUp, 2), 75);
  EXPECT_EQ(Units("12", "2.5", Rounding::kHalfEven, 3), 30000);
}

TEST(PriceUsage, RecordsQuantityAndPriceCanonically) {
  PriceRow p = Price("0.0020", Rounding::kUp);
  p.price_id = 17;
  const PricedUsage u = PriceUsage(p, "1500.0", 0);
  EXPECT_EQ(u.units, 3);
  EXPECT_EQ(u.quantity, "1500");
  EXPECT_EQ(u.credits_per_unit, "0.002");
  EXPECT_EQ(u.price_id, 17);
  EXPECT_EQ(u.rounding, Rounding::kUp);
}

TEST(PriceUsage, FreeFeaturesAndCreditsThatRoundToZero) {
  EXPECT_EQ(Units("100", "0", Rounding::kUp, 2), 0);
  EXPECT_EQ(Units("1", "0.001", Rounding::kDown, 2), 0);
  EXPECT_EQ(Units("1", "0.001", Rounding::kUp, 2), 1);
  EXPECT_EQ(Units("1", "0.005", Rounding::kHalfEven, 2), 0);
}

TEST(PriceUsage, QuantitiesMustBePositiveAndFinite) {
  // Quantities are never negative, so `up` never has to say which way a
  // negative product rounds.
  for (const char* q : {"0", "-1", "-0.5", "0.000", "NaN", "Infinity"}) {
    const Refusal r = RefusalOf([q] { Units(q, "1", Rounding::kUp, 0); });
    EXPECT_EQ(r.sqlstate, "22023") << q;
  }
  EXPECT_EQ(RefusalOf([] { Units("-1", "1", Rounding::kUp, 0); }).message,
            "quantity must be positive");
  EXPECT_EQ(StateOf([] { Units("abc", "1", Rounding::kUp, 0); }), "22023");
}

TEST(CheckQuantity, TheChecksOfPriceUsageBeforeAnyPriceIsRead) {
  EXPECT_EQ(CheckQuantity("2.500"), "2.5");
  EXPECT_EQ(CheckQuantity("0.000000000000000001"), "0.000000000000000001");
  for (const char* q : {"0", "-1", "NaN", "Infinity", "-Infinity", "x"}) {
    EXPECT_EQ(StateOf([q] { CheckQuantity(q); }), "22023") << q;
  }
  EXPECT_EQ(StateOf([] { CheckQuantity("0.0000000000000000001"); }), "22003");
  EXPECT_EQ(StateOf([] { CheckQuantity("1234567890123456789"); }), "22003");
}

TEST(PriceUsage, ExactProductOfEighteenDigitOperands) {
  // 0.999999999999999999 x 999999999999999999
  //   = 999999999999999998.000000000000000001
  EXPECT_EQ(
      Units("999999999999999999", "0.999999999999999999", Rounding::kDown, 0),
      999999999999999998);
  EXPECT_EQ(
      Units("999999999999999999", "0.999999999999999999", Rounding::kUp, 0),
      999999999999999999);
  EXPECT_EQ(Units("999999999999999999", "0.999999999999999999",
                  Rounding::kHalfEven, 0),
            999999999999999998);
  // The product itself, 36 digits, exactly.
  EXPECT_EQ(ExactProduct(ParseFixed("999999999999999999", "a"),
                         ParseFixed("0.999999999999999999", "b")),
            "999999999999999998.000000000000000001");
}

TEST(PriceUsage, OverflowIs22003) {
  const Refusal r = RefusalOf([] {
    Units("999999999999999999", "999999999999999999", Rounding::kUp, 0);
  });
  EXPECT_EQ(r.sqlstate, "22003");
  EXPECT_EQ(r.message, "credits is out of range");
  EXPECT_EQ(
      StateOf([] { Units("100000000000", "10000000", Rounding::kUp, 0); }),
      "22003");
  EXPECT_EQ(StateOf([] { Units("1000000000", "1", Rounding::kUp, 9); }),
            "22003");
  EXPECT_EQ(Units("999999999", "1", Rounding::kUp, 9), 999999999000000000);
  // More than 18 significant digits or decimals in an operand.
  EXPECT_EQ(
      StateOf([] { Units("1234567890123456789", "1", Rounding::kUp, 0); }),
      "22003");
  EXPECT_EQ(
      StateOf([] { Units("0.0000000000000000001", "1", Rounding::kUp, 0); }),
      "22003");
}

TEST(CheckPriceSet, ValidatesEveryArgument) {
  PriceArgs a;
  a.feature = "image";
  a.credit_type = "ai_tokens";
  a.credits_per_unit = "5.0";
  const Micros now = At("2026-03-01T00:00:00Z");
  PriceSpec s = CheckPriceSet(a, now);
  EXPECT_EQ(s.credits_per_unit, "5");
  EXPECT_EQ(s.effective_at, now);
  EXPECT_EQ(s.rounding, Rounding::kUp);
  EXPECT_FALSE(s.customer_id);

  a.credits_per_unit = "0";  // a free feature
  EXPECT_EQ(CheckPriceSet(a, now).credits_per_unit, "0");
  a.credits_per_unit = "-1";
  EXPECT_EQ(RefusalOf([&] { CheckPriceSet(a, now); }).message,
            "credits_per_unit must not be negative");
  a.credits_per_unit = "NaN";
  EXPECT_EQ(StateOf([&] { CheckPriceSet(a, now); }), "22023");
  a.credits_per_unit = std::nullopt;
  EXPECT_EQ(StateOf([&] { CheckPriceSet(a, now); }), "22004");
  a.credits_per_unit = "1";
  a.rounding = "nearest";
  EXPECT_EQ(StateOf([&] { CheckPriceSet(a, now); }), "22023");
  a.rounding = "half_even";
  a.effective_at = now - kMicrosPerDay;  // back-dated prices are allowed
  EXPECT_EQ(CheckPriceSet(a, now).effective_at, now - kMicrosPerDay);
  a.feature = "";
  EXPECT_EQ(StateOf([&] { CheckPriceSet(a, now); }), "22023");
  a.feature = std::nullopt;
  EXPECT_EQ(StateOf([&] { CheckPriceSet(a, now); }), "22004");
  a.feature = "image";
  a.credit_type = "AI";
  EXPECT_EQ(StateOf([&] { CheckPriceSet(a, now); }), "22023");
}

std::vector<PriceRow> PriceList() {
  auto row = [](std::int64_t id, std::optional<std::string> customer,
                const char* price, const char* at) {
    PriceRow p;
    p.price_id = id;
    p.customer_id = std::move(customer);
    p.credits_per_unit = price;
    p.effective_at = At(at);
    return p;
  };
  return {row(1, std::nullopt, "5", "2026-01-01T00:00:00Z"),
          row(2, std::nullopt, "6", "2026-03-01T00:00:00Z"),
          row(3, "acme", "4", "2026-02-01T00:00:00Z"),
          row(4, std::nullopt, "7", "2026-03-01T00:00:00Z"),
          row(5, "acme", "3", "2026-04-01T00:00:00Z")};
}

TEST(ChoosePrice, LatestEffectiveAtWinsAtTheBoundaryInstant) {
  const std::vector<PriceRow> prices = PriceList();
  auto id = [&](const char* customer, const char* at) {
    return ChoosePrice(prices, customer, "image", At(at)).price_id;
  };
  EXPECT_EQ(id("zed", "2026-02-28T23:59:59.999999Z"), 1);
  // In force from its effective_at on, that instant included; of two set
  // for one instant the later (higher id) wins.
  EXPECT_EQ(id("zed", "2026-03-01T00:00:00Z"), 4);
}

TEST(ChoosePrice, TheCustomersOwnPriceComesFirst) {
  const std::vector<PriceRow> prices = PriceList();
  auto id = [&](const char* customer, const char* at) {
    return ChoosePrice(prices, customer, "image", At(at)).price_id;
  };
  // Before acme's override starts, the general price applies.
  EXPECT_EQ(id("acme", "2026-01-31T23:59:59.999999Z"), 1);
  EXPECT_EQ(id("acme", "2026-02-01T00:00:00Z"), 3);
  // A newer general price does not beat the customer's older own one.
  EXPECT_EQ(id("acme", "2026-03-15T00:00:00Z"), 3);
  EXPECT_EQ(id("acme", "2026-04-01T00:00:00Z"), 5);
}

TEST(ChoosePrice, TheLatestPriceAlsoSaysWhichCreditTypePays) {
  std::vector<PriceRow> prices = PriceList();
  PriceRow moved;
  moved.price_id = 6;
  moved.credit_type = "api_calls";
  moved.credits_per_unit = "1";
  moved.effective_at = At("2026-05-01T00:00:00Z");
  prices.push_back(moved);
  EXPECT_EQ(ChoosePrice(prices, "zed", "image", At("2026-05-01T00:00:00Z"))
                .credit_type,
            "api_calls");
  EXPECT_EQ(
      ChoosePrice(prices, "zed", "image", At("2026-04-30T00:00:00Z")).price_id,
      4);
}

TEST(ChoosePrice, NoPriceInForceIsLG007) {
  const std::vector<PriceRow> prices = PriceList();
  const Refusal r = RefusalOf([&] {
    ChoosePrice(prices, "acme", "image", At("2025-12-31T23:59:59Z"));
  });
  EXPECT_EQ(r.sqlstate, "LG007");
  EXPECT_EQ(r.message, "no price for feature \"image\"");
  EXPECT_EQ(r.detail,
            "No price of the feature is in force for customer \"acme\" at "
            "2025-12-31T23:59:59Z.");
  EXPECT_EQ(StateOf([] { ChoosePrice({}, "acme", "x", 0); }), "LG007");
}

}  // namespace
}  // namespace credit_ledger
