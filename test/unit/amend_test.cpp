#include "amend.hpp"
#include "drawdown.hpp"
#include "grant_usage.hpp"
#include "money.hpp"
#include "plan.hpp"
#include "refusal.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

Micros At(const char* text) {
  return ParseTimestampRfc3339(text, "test instant");
}

const Micros kNow = At("2026-03-01T00:00:00Z");

AmendTarget Block() {
  AmendTarget t;
  t.row.grant_id = 31;
  t.row.amount = 100;
  t.row.remaining = 40;
  t.row.priority = 50;
  t.row.cost_basis = "0.5";
  t.row.effective_at = At("2026-02-01T00:00:00Z");
  t.row.expires_at = At("2026-04-01T00:00:00Z");
  return t;
}

TEST(GrantUpdate, MovesTheExpiryWithAnAmendmentEntry) {
  GrantUpdate u;
  u.expires_at = At("2026-05-01T00:00:00Z");
  const AmendPlan p = PlanGrantUpdate(Block(), u, kNow);
  EXPECT_EQ(p.row.expires_at, *u.expires_at);
  EXPECT_EQ(p.row.priority, 50);
  ASSERT_TRUE(p.draft);
  EXPECT_EQ(p.draft->type, EntryType::kAmendment);
  EXPECT_EQ(p.draft->amount, 0);
  EXPECT_EQ(p.draft->grant_id, 31);
  EXPECT_EQ(p.metadata,
            "{\"expires_at\": {\"new\": \"2026-05-01T00:00:00Z\", \"old\": "
            "\"2026-04-01T00:00:00Z\"}}");
  // Earlier is allowed too, as long as it is after now and the start.
  u.expires_at = kNow + 1;
  EXPECT_EQ(PlanGrantUpdate(Block(), u, kNow).row.expires_at, kNow + 1);
}

TEST(GrantUpdate, PriorityAndBothAtOnceAndTheEvent) {
  GrantUpdate u;
  u.priority = 10;
  AmendTarget never = Block();
  never.row.expires_at = kNever;
  u.expires_at = At("2026-06-01T00:00:00Z");
  const AmendPlan p = PlanGrantUpdate(never, u, kNow);
  EXPECT_EQ(p.row.priority, 10);
  EXPECT_EQ(p.old_priority, 50);
  EXPECT_FALSE(p.old_expires_at);
  EXPECT_EQ(p.metadata,
            "{\"priority\": {\"new\": 10, \"old\": 50}, \"expires_at\": "
            "{\"new\": \"2026-06-01T00:00:00Z\", \"old\": null}}");
  const PendingEvent e = GrantUpdatedEvent({"acme", "usd", 7, 2, 42}, p);
  EXPECT_EQ(e.type, "credits.grant.updated");
  EXPECT_EQ(e.payload,
            "{\"customer_id\": \"acme\", \"credit_type\": \"usd\", "
            "\"wallet_id\": 7, \"operation_id\": 42, \"grant_id\": 31, "
            "\"priority\": 10, \"expires_at\": \"2026-06-01T00:00:00Z\", "
            "\"changes\": " +
                p.metadata + "}");
}

TEST(GrantUpdate, NothingToChangeAndBadValuesAre22023) {
  const Refusal none = RefusalOf([] { PlanGrantUpdate(Block(), {}, kNow); });
  EXPECT_EQ(none.sqlstate, "22023");
  EXPECT_EQ(none.message, "nothing to change");
  GrantUpdate same;
  same.priority = 50;
  same.expires_at = Block().row.expires_at;
  EXPECT_EQ(StateOf([&] { PlanGrantUpdate(Block(), same, kNow); }), "22023");
  GrantUpdate u;
  u.expires_at = kNow;  // not after now
  EXPECT_EQ(StateOf([&] { PlanGrantUpdate(Block(), u, kNow); }), "22023");
  AmendTarget scheduled = Block();
  scheduled.row.effective_at = At("2026-03-10T00:00:00Z");
  u.expires_at = At("2026-03-10T00:00:00Z");  // not after its start
  EXPECT_EQ(StateOf([&] { PlanGrantUpdate(scheduled, u, kNow); }), "22023");
  GrantUpdate p;
  p.priority = -1;
  EXPECT_EQ(StateOf([&] { PlanGrantUpdate(Block(), p, kNow); }), "22023");
}

TEST(GrantUpdate, ClosedBlocksAreLG006) {
  GrantUpdate u;
  u.priority = 1;
  auto state = [&](const std::function<void(AmendTarget&)>& edit) {
    AmendTarget t = Block();
    edit(t);
    return RefusalOf([&] { PlanGrantUpdate(t, u, kNow); });
  };
  EXPECT_EQ(state([](AmendTarget& t) { t.row.voided_at = kNow; }).message,
            "grant 31 is voided");
  EXPECT_EQ(state([](AmendTarget& t) { t.canceled = true; }).sqlstate, "LG006");
  EXPECT_EQ(state([](AmendTarget& t) { t.row.expired_at = kNow; }).sqlstate,
            "LG006");
  EXPECT_EQ(state([](AmendTarget& t) { t.row.expires_at = kNow; }).message,
            "grant 31 is lapsed");
  EXPECT_EQ(state([](AmendTarget& t) { t.row.remaining = 0; }).message,
            "grant 31 is depleted");
  // Reserved by a hold is not depleted; a pending block may change.
  EXPECT_EQ(state([](AmendTarget& t) {
              t.row.remaining = 0;
              t.held = 5;
            }).sqlstate,
            "none");
  AmendTarget pending = Block();
  pending.pending = true;
  pending.entered = false;
  const AmendPlan p = PlanGrantUpdate(pending, u, kNow);
  EXPECT_FALSE(p.draft);  // no entries before it enters the ledger
}

TEST(GrantUpdate, NewEntryTypesHaveStoredNames) {
  EXPECT_EQ(EntryTypeName(EntryType::kAmendment), "amendment");
  EXPECT_EQ(EntryTypeName(EntryType::kRollover), "rollover");
  EXPECT_EQ(ParseEntryType("amendment"), EntryType::kAmendment);
  EXPECT_EQ(ParseEntryType("rollover"), EntryType::kRollover);
}

TEST(Currency, ThreeCapitalLetters) {
  CheckCurrency(std::nullopt);
  CheckCurrency("USD");
  CheckCurrency("EUR");
  for (const char* bad : {"usd", "US", "USDT", "U5D", "", "ÜSD"}) {
    EXPECT_EQ(StateOf([bad] { CheckCurrency(std::string(bad)); }), "22023")
        << bad;
  }
  EXPECT_EQ(RefusalOf([] { CheckCurrency(std::string("usd")); }).detail,
            "The value given was \"usd\"; a code is three capital letters, "
            "like USD.");
}

TEST(GrantUnits, ValueDividedByCostBasisMustBeExact) {
  EXPECT_EQ(GrantUnits(std::string("12.5"), std::nullopt, std::nullopt, 2),
            1250);
  EXPECT_EQ(GrantUnits(std::nullopt, std::string("10"), std::string("0.01"), 0),
            1000);
  EXPECT_EQ(GrantUnits(std::nullopt, std::string("10"), std::string("4"), 2),
            250);
  const Refusal r = RefusalOf(
      [] { GrantUnits(std::nullopt, std::string("10"), std::string("3"), 2); });
  EXPECT_EQ(r.sqlstate, "22023");
  EXPECT_EQ(r.message, "value is not an exact number of credits");
  EXPECT_EQ(r.detail,
            "value / cost_basis = 10 / 3 is not a whole number of credits at "
            "scale 2; the nearest exact amounts are 3.33 (value 9.99) and "
            "3.34 (value 10.02).");
  // Below one unit only the amount above is offered.
  EXPECT_EQ(RefusalOf([] {
              GrantUnits(std::nullopt, std::string("0.001"),
                         std::string("0.003"), 0);
            }).detail,
            "value / cost_basis = 0.001 / 0.003 is not a whole number of "
            "credits at scale 0; the nearest exact amounts are 1 (value "
            "0.003).");
}

TEST(GrantUnits, AmountAndValueRules) {
  const std::optional<std::string> none;
  const std::optional<std::string> ten("10");
  EXPECT_EQ(StateOf([&] { GrantUnits(ten, ten, ten, 0); }), "22023");
  EXPECT_EQ(StateOf([&] { GrantUnits(none, ten, none, 0); }), "22004");
  EXPECT_EQ(StateOf([&] { GrantUnits(none, none, ten, 0); }), "22004");
  EXPECT_EQ(StateOf([&] { GrantUnits(none, ten, std::string("0"), 0); }),
            "22023");
  EXPECT_EQ(StateOf([&] { GrantUnits(none, std::string("-10"), ten, 0); }),
            "22023");
  EXPECT_EQ(StateOf([&] { GrantUnits(none, std::string("0"), ten, 0); }),
            "22023");
  EXPECT_EQ(StateOf([&] {
              GrantUnits(none, std::string("999999999999999999"),
                         std::string("0.000000000000000001"), 0);
            }),
            "22003");
}

GrantState G(std::int64_t id, bool promotional, Micros expires_at) {
  GrantState g;
  g.grant_id = id;
  g.promotional = promotional;
  g.expires_at = expires_at;
  g.remaining = 10;
  return g;
}

TEST(DrawdownPolicy, PromotionalFirstComesRightAfterPriority) {
  // Paid expiring soon (1), promotional expiring later (2), paid at a lower
  // priority number (3, drawn first under both policies).
  std::vector<GrantState> grants = {G(1, false, 100), G(2, true, 200),
                                    G(3, false, 300)};
  grants[2].priority = 10;
  EXPECT_EQ(DrawdownOrder(grants, 0), (std::vector<std::size_t>{2, 0, 1}));
  EXPECT_EQ(DrawdownOrder(grants, 0, DrawdownPolicy::kExpiryFirst),
            (std::vector<std::size_t>{2, 0, 1}));
  EXPECT_EQ(DrawdownOrder(grants, 0, DrawdownPolicy::kPromotionalFirst),
            (std::vector<std::size_t>{2, 1, 0}));
  const DrawdownPlan p =
      PlanDrawdown(grants, 0, 15, DrawdownPolicy::kPromotionalFirst);
  ASSERT_EQ(p.draws.size(), 2u);
  EXPECT_EQ(p.draws[0].index, 2u);
  EXPECT_EQ(p.draws[1].index, 1u);
  EXPECT_EQ(p.draws[1].amount, 5);
  EXPECT_EQ(ParseDrawdownPolicy("promotional_first"),
            DrawdownPolicy::kPromotionalFirst);
  EXPECT_EQ(DrawdownPolicyName(DrawdownPolicy::kExpiryFirst), "expiry_first");
  EXPECT_EQ(StateOf([] { ParseDrawdownPolicy("bonus_first"); }), "22023");
}

TEST(DrawdownPolicy, ConsumesAndBatchesDrawInTheWalletsOrder) {
  WalletState w;
  w.grants = {G(1, false, 100), G(2, true, 200)};
  EXPECT_EQ(PlanConsume(w, 0, 5).draws[0].index, 0u);  // the default
  w.order = DrawdownPolicy::kPromotionalFirst;
  const ConsumePlan p = PlanConsume(w, 0, 12);
  ASSERT_EQ(p.draws.size(), 2u);
  EXPECT_EQ(p.draws[0].index, 1u);
  EXPECT_EQ(p.draws[1].index, 0u);
  EXPECT_EQ(p.draws[1].amount, 2);
  EXPECT_EQ(p.emptied, (std::vector<std::size_t>{1}));
  const ConsumePlan batch = ConsumePlanner(w, 0).Plan(12);
  ASSERT_EQ(batch.draws.size(), 2u);
  EXPECT_EQ(batch.draws[0].index, 1u);
  // Debt is repaid in the same order.
  w.debt = 3;
  EXPECT_EQ(PlanConsume(w, 0, 0).repayments[0].index, 1u);
}

TEST(GrantUsage, ThresholdsParseBetweenZeroAndHundred) {
  EXPECT_EQ(ParseGrantUsageThresholds({"80", "50", "100", "50.0"}),
            (std::vector<Percent>{50 * kPercentUnit, 80 * kPercentUnit,
                                  100 * kPercentUnit}));
  for (const char* bad : {"0", "-5", "100.5", "abc", "NaN"}) {
    EXPECT_EQ(StateOf([bad] { ParseGrantUsageThresholds({std::string(bad)}); }),
              "22023")
        << bad;
  }
  EXPECT_EQ(StateOf([] { ParseGrantUsageThresholds({std::nullopt}); }),
            "22004");
  EXPECT_EQ(FormatPercent(12500000000), "12.5");
}

TEST(GrantUsage, FiresOncePerBlockAndThreshold) {
  const std::vector<Percent> t = ParseGrantUsageThresholds({"50", "80", "100"});
  // 49 of 100 used: nothing; 50: exactly the threshold fires it.
  EXPECT_TRUE(DecideGrantUsage(t, 100, 49, std::nullopt).fire.empty());
  GrantUsageAlerts a = DecideGrantUsage(t, 100, 50, std::nullopt);
  EXPECT_EQ(a.fire, (std::vector<Percent>{50 * kPercentUnit}));
  // A jump past two thresholds fires both; nothing fires twice, even after
  // a reversal brings usage back under them.
  a = DecideGrantUsage(t, 100, 100, a.alerted);
  EXPECT_EQ(a.fire,
            (std::vector<Percent>{80 * kPercentUnit, 100 * kPercentUnit}));
  EXPECT_TRUE(DecideGrantUsage(t, 100, 100, a.alerted).fire.empty());
  EXPECT_TRUE(DecideGrantUsage(t, 100, 60, a.alerted).fire.empty());
  // Exact at odd amounts: 2 of 3 is 66.67%, not 66.67 or more.
  const std::vector<Percent> third =
      ParseGrantUsageThresholds({"66.666666667"});
  EXPECT_TRUE(DecideGrantUsage(third, 3, 2, std::nullopt).fire.empty());
  EXPECT_EQ(DecideGrantUsage(ParseGrantUsageThresholds({"66.666666666"}), 3, 2,
                             std::nullopt)
                .fire.size(),
            1u);
}

TEST(GrantUsage, EventPayloadBytes) {
  const PendingEvent e = GrantUsageLowEvent({"acme", "usd", 7, 2, 42}, 31,
                                            80 * kPercentUnit, 300, 250, 50);
  EXPECT_EQ(e.type, "credits.grant.usage_low");
  EXPECT_EQ(e.payload,
            "{\"customer_id\": \"acme\", \"credit_type\": \"usd\", "
            "\"wallet_id\": 7, \"operation_id\": 42, \"grant_id\": 31, "
            "\"threshold\": \"80\", \"usage_percent\": \"83.33\", "
            "\"balance\": \"0.50\"}");
}

}  // namespace
}  // namespace credit_ledger
