#include "alerts.hpp"
#include "json.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

TEST(Json, EscapesEverythingRfc8259Requires) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonQuote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(JsonQuote(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(Json, ObjectsWithEveryKindOfValue) {
  JsonObject o;
  o.String("customer_id", "acme")
      .String("amount", "10.50")
      .Integer("grant_id", 42)
      .Integer("missing", std::optional<std::int64_t>{})
      .Bool("promotional", true)
      .Raw("metadata", std::string("{\"a\": 1}"))
      .String("reason", std::optional<std::string>{});
  EXPECT_EQ(
      o.str(),
      "{\"customer_id\": \"acme\", \"amount\": \"10.50\", \"grant_id\": 42, "
      "\"missing\": null, \"promotional\": true, \"metadata\": {\"a\": 1}, "
      "\"reason\": null}");
  EXPECT_EQ(JsonObject().str(), "{}");
}

TEST(Alerts, FiresOncePerCrossingAndReArms) {
  const std::vector<std::int64_t> thresholds{100, 50, 20};
  AlertState s;
  // 150 -> 80: crosses 100 only.
  AlertOutcome o = EvaluateAlerts(thresholds, s, 80);
  EXPECT_EQ(o.usage_low, (std::vector<std::int64_t>{100}));
  EXPECT_FALSE(o.depleted);
  EXPECT_TRUE(o.changed);
  s = o.next;
  // 80 -> 70: nothing new.
  o = EvaluateAlerts(thresholds, s, 70);
  EXPECT_TRUE(o.usage_low.empty());
  EXPECT_FALSE(o.changed);
  // 70 -> 10: crosses 50 and 20 at once.
  o = EvaluateAlerts(thresholds, s, 10);
  EXPECT_EQ(o.usage_low, (std::vector<std::int64_t>{50, 20}));
  s = o.next;
  // A grant lifts the balance to 60: 50 and 20 re-armed, 100 still fired.
  o = EvaluateAlerts(thresholds, s, 60);
  EXPECT_TRUE(o.usage_low.empty());
  EXPECT_EQ(o.next.fired, (std::vector<std::int64_t>{100}));
  s = o.next;
  // Down to exactly 50: not below 50, nothing fires.
  o = EvaluateAlerts(thresholds, s, 50);
  EXPECT_TRUE(o.usage_low.empty());
  // Below it again: fires again.
  o = EvaluateAlerts(thresholds, s, 49);
  EXPECT_EQ(o.usage_low, (std::vector<std::int64_t>{50}));
}

TEST(Alerts, DepletedAtZeroOrBelowOnce) {
  AlertState s;
  AlertOutcome o = EvaluateAlerts({}, s, 1);
  EXPECT_FALSE(o.depleted);
  o = EvaluateAlerts({}, s, 0);
  EXPECT_TRUE(o.depleted);
  s = o.next;
  o = EvaluateAlerts({}, s, -30);  // further into debt: no second alert
  EXPECT_FALSE(o.depleted);
  EXPECT_FALSE(o.changed);
  o = EvaluateAlerts({}, s, 5);  // re-armed by a grant
  EXPECT_FALSE(o.depleted);
  EXPECT_TRUE(o.changed);
  s = o.next;
  EXPECT_TRUE(EvaluateAlerts({}, s, 0).depleted);
}

}  // namespace
}  // namespace credit_ledger

#include "time.hpp"

namespace credit_ledger {
namespace {

TEST(FormatTimestampUtc, PostgresEpochBasedMicros) {
  EXPECT_EQ(FormatTimestampUtc(0), "2000-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestampUtc(1), "2000-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatTimestampUtc(-1), "1999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatTimestampUtc(500000), "2000-01-01T00:00:00.5Z");
  // 2026-03-01 12:00:00 UTC: 9556 days and 12 hours after 2000-01-01.
  EXPECT_EQ(
      FormatTimestampUtc(9556 * kMicrosPerDay + 12 * 3600 * kMicrosPerSecond),
      "2026-03-01T12:00:00Z");
  // Leap day.
  EXPECT_EQ(FormatTimestampUtc(60 * kMicrosPerDay), "2000-03-01T00:00:00Z");
  EXPECT_EQ(FormatTimestampUtc(59 * kMicrosPerDay), "2000-02-29T00:00:00Z");
}

}  // namespace
}  // namespace credit_ledger
