#include "alerts.hpp"
#include "events.hpp"
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

// Event payloads are a stored and consumed format: these pin their bytes.
// Every payload starts with the subject; amounts are exact decimal strings at
// the credit type's scale; instants are UTC RFC 3339.
EventSubject Subject() {
  return EventSubject{"acme", "usd", 7, 2, 42};
}

constexpr const char* kHead =
    "{\"customer_id\": \"acme\", \"credit_type\": \"usd\", \"wallet_id\": 7, "
    "\"operation_id\": 42, ";

constexpr Micros kMarch = 828 * kMicrosPerDay + 12 * 3600 * kMicrosPerSecond;

TEST(EventPayloads, Granted) {
  NewGrant g;
  g.grant_id = 9;
  g.amount = 10050;
  g.remaining = 10050;
  g.promotional = true;
  g.priority = 10;
  g.cost_basis = "0.01";
  g.effective_at = kMarch;
  g.expires_at = kMarch + kMicrosPerDay;
  g.reason = "welcome \"pack\"";
  g.kind = "grant";
  PendingEvent e = GrantedEvent(Subject(), g, 12345);
  EXPECT_EQ(e.type, "credits.granted");
  EXPECT_EQ(e.payload,
            std::string(kHead) +
                "\"grant_id\": 9, \"kind\": \"grant\", \"amount\": \"100.50\", "
                "\"promotional\": true, \"priority\": 10, \"cost_basis\": "
                "\"0.01\", \"effective_at\": \"2002-04-08T12:00:00Z\", "
                "\"expires_at\": \"2002-04-09T12:00:00Z\", \"reason\": "
                "\"welcome \\\"pack\\\"\", \"source_id\": null, \"balance\": "
                "\"123.45\"}");
  // Without an expiry, cost basis or reason: JSON nulls, never absent keys.
  g.expires_at.reset();
  g.cost_basis.reset();
  g.reason.reset();
  g.source_id = "inv_1";
  g.kind = "adjustment";
  g.promotional = false;
  e = GrantedEvent(Subject(), g, -5);
  EXPECT_EQ(e.payload,
            std::string(kHead) +
                "\"grant_id\": 9, \"kind\": \"adjustment\", \"amount\": "
                "\"100.50\", \"promotional\": false, \"priority\": 10, "
                "\"cost_basis\": null, \"effective_at\": "
                "\"2002-04-08T12:00:00Z\", \"expires_at\": null, \"reason\": "
                "null, \"source_id\": \"inv_1\", \"balance\": \"-0.05\"}");
}

TEST(EventPayloads, GrantDepletedInDrawOrder) {
  std::vector<GrantState> grants(3);
  grants[0].grant_id = 11;
  grants[1].grant_id = 12;
  grants[2].grant_id = 13;
  std::vector<PendingEvent> events;
  AddDepletedGrants(events, Subject(), grants, {2, 0}, 0);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "credits.grant.depleted");
  EXPECT_EQ(events[0].payload,
            std::string(kHead) + "\"grant_id\": 13, \"balance\": \"0.00\"}");
  EXPECT_EQ(events[1].payload,
            std::string(kHead) + "\"grant_id\": 11, \"balance\": \"0.00\"}");
}

TEST(EventPayloads, Expired) {
  GrantRow g;
  g.grant_id = 5;
  g.remaining = 250;
  g.promotional = true;
  g.cost_basis = "0.5";
  g.expires_at = kMarch;
  const ExpiryPlan plan = PlanExpiry(g, kMarch + 1);
  PendingEvent e = ExpiredEvent(Subject(), plan, std::string("1.250"), 1000);
  EXPECT_EQ(e.type, "credits.expired");
  EXPECT_EQ(e.payload, std::string(kHead) +
                           "\"grant_id\": 5, \"amount\": \"2.50\", \"value\": "
                           "\"1.250\", \"promotional\": true, \"expires_at\": "
                           "\"2002-04-08T12:00:00Z\", \"balance\": \"10.00\"}");
  e = ExpiredEvent(Subject(), plan, std::nullopt, 1000);
  EXPECT_EQ(e.payload, std::string(kHead) +
                           "\"grant_id\": 5, \"amount\": \"2.50\", \"value\": "
                           "null, \"promotional\": true, \"expires_at\": "
                           "\"2002-04-08T12:00:00Z\", \"balance\": \"10.00\"}");
}

// 1.2: a credit type with a currency names it right after the money field;
// without one the payload keeps its bytes (the tests above).
TEST(EventPayloads, CurrencyFollowsTheMoney) {
  EventSubject s = Subject();
  s.currency = "USD";
  NewGrant g;
  g.grant_id = 9;
  g.amount = 100;
  g.cost_basis = "0.5";
  g.effective_at = kMarch;
  g.kind = "grant";
  EXPECT_EQ(GrantedEvent(s, g, 100).payload,
            std::string(kHead) +
                "\"grant_id\": 9, \"kind\": \"grant\", \"amount\": \"1.00\", "
                "\"promotional\": false, \"priority\": 50, \"cost_basis\": "
                "\"0.5\", \"currency\": \"USD\", \"effective_at\": "
                "\"2002-04-08T12:00:00Z\", \"expires_at\": null, \"reason\": "
                "null, \"source_id\": null, \"balance\": \"1.00\"}");
  GrantRow r;
  r.grant_id = 5;
  r.remaining = 250;
  r.cost_basis = "0.5";
  r.expires_at = kMarch;
  const ExpiryPlan plan = PlanExpiry(r, kMarch + 1);
  EXPECT_EQ(ExpiredEvent(s, plan, std::string("1.250"), 0).payload,
            std::string(kHead) +
                "\"grant_id\": 5, \"amount\": \"2.50\", \"value\": "
                "\"1.250\", \"currency\": \"USD\", \"promotional\": false, "
                "\"expires_at\": \"2002-04-08T12:00:00Z\", \"balance\": "
                "\"0.00\"}");
}

TEST(EventPayloads, Voided) {
  GrantRow g;
  g.grant_id = 6;
  g.remaining = 300;
  g.effective_at = kMarch - 1;
  const VoidPlan plan = PlanVoid(g, 700, kMarch);
  PendingEvent e = VoidedEvent(Subject(), plan, std::string("refund"));
  EXPECT_EQ(e.type, "credits.voided");
  EXPECT_EQ(e.payload, std::string(kHead) +
                           "\"grant_id\": 6, \"amount\": \"3.00\", \"reason\": "
                           "\"refund\", \"balance\": \"4.00\"}");
  e = VoidedEvent(Subject(), plan, std::nullopt);
  EXPECT_EQ(e.payload, std::string(kHead) +
                           "\"grant_id\": 6, \"amount\": \"3.00\", \"reason\": "
                           "null, \"balance\": \"4.00\"}");
}

// The alerts an operation ends with: decided by EvaluateAlerts and built
// here, usage_low highest threshold first, then depleted.
TEST(EventPayloads, BalanceAlerts) {
  const std::vector<std::int64_t> thresholds{5000, 1000};
  AlertEvents a = BalanceAlertEvents(Subject(), thresholds, AlertState{}, -1);
  ASSERT_EQ(a.events.size(), 3u);
  EXPECT_EQ(a.events[0].type, "credits.balance.usage_low");
  EXPECT_EQ(a.events[0].payload,
            std::string(kHead) +
                "\"threshold\": \"50.00\", \"balance\": \"-0.01\"}");
  EXPECT_EQ(a.events[1].type, "credits.balance.usage_low");
  EXPECT_EQ(a.events[1].payload,
            std::string(kHead) +
                "\"threshold\": \"10.00\", \"balance\": \"-0.01\"}");
  EXPECT_EQ(a.events[2].type, "credits.balance.depleted");
  EXPECT_EQ(a.events[2].payload,
            std::string(kHead) + "\"balance\": \"-0.01\"}");
  EXPECT_TRUE(a.next.depleted);
  EXPECT_EQ(a.next.fired, thresholds);
  // Already alerted: nothing new, the state kept.
  a = BalanceAlertEvents(Subject(), thresholds, a.next, -2);
  EXPECT_TRUE(a.events.empty());
  EXPECT_TRUE(a.next.depleted);
  // Re-armed above every threshold.
  a = BalanceAlertEvents(Subject(), thresholds, a.next, 6000);
  EXPECT_TRUE(a.events.empty());
  EXPECT_FALSE(a.next.depleted);
  EXPECT_TRUE(a.next.fired.empty());
}

}  // namespace
}  // namespace credit_ledger
