#include "refusal.hpp"
#include "topup.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

constexpr Micros kNow = 9500 * kMicrosPerDay + 3600 * kMicrosPerSecond;

TopupConfig Config() {
  TopupArgs a;
  a.threshold = "100.00";
  a.amount = "1000";
  a.cost_basis = "0.01";
  a.max_per_day = 3;
  a.enabled = true;
  return CheckTopupConfig(a, 2);
}

TopupInput Low(std::int64_t available = 9999) {
  TopupInput in;
  in.available_after = available;
  in.now = kNow;
  return in;
}

TEST(TopupConfig, ChecksEveryArgument) {
  const TopupConfig c = Config();
  EXPECT_EQ(c.threshold, 10000);
  EXPECT_EQ(c.amount, 100000);
  EXPECT_EQ(c.cost_basis, "0.01");
  auto state = [](const std::function<void(TopupArgs&)>& edit) {
    TopupArgs a;
    a.threshold = "100";
    a.amount = "1000";
    a.max_per_day = 3;
    a.enabled = true;
    edit(a);
    return StateOf([&] { CheckTopupConfig(a, 2); });
  };
  EXPECT_EQ(state([](TopupArgs&) {}), "none");
  EXPECT_EQ(state([](TopupArgs& a) { a.threshold = "0"; }), "none");
  EXPECT_EQ(state([](TopupArgs& a) { a.threshold = "-1"; }), "22023");
  EXPECT_EQ(state([](TopupArgs& a) { a.threshold = std::nullopt; }), "22004");
  EXPECT_EQ(state([](TopupArgs& a) { a.amount = "0"; }), "22023");
  EXPECT_EQ(state([](TopupArgs& a) { a.amount = "1.005"; }), "22023");
  EXPECT_EQ(state([](TopupArgs& a) { a.cost_basis = "-1"; }), "22023");
  EXPECT_EQ(state([](TopupArgs& a) { a.max_per_day = 0; }), "22023");
  EXPECT_EQ(state([](TopupArgs& a) { a.max_per_day = std::nullopt; }), "22004");
  EXPECT_EQ(state([](TopupArgs& a) { a.enabled = std::nullopt; }), "22004");
}

TEST(DecideTopup, RequestsBelowTheThreshold) {
  const std::optional<TopupRequest> r = DecideTopup(Config(), Low(), 55);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->grant.grant_id, 55);
  EXPECT_EQ(r->grant.kind, "topup");
  EXPECT_EQ(r->grant.amount, 100000);
  EXPECT_EQ(r->grant.remaining, 100000);
  EXPECT_EQ(r->grant.cost_basis, "0.01");
  EXPECT_EQ(r->grant.effective_at, kNow);
  EXPECT_FALSE(r->grant.expires_at);
  EXPECT_EQ(r->counter.day, 9500);
  EXPECT_EQ(r->counter.count, 1);
  // At the threshold is not below it.
  EXPECT_FALSE(DecideTopup(Config(), Low(10000), 55));
  EXPECT_TRUE(DecideTopup(Config(), Low(-5), 55));  // in debt
}

TEST(DecideTopup, OnePendingNoReplayNotDisabled) {
  TopupInput in = Low();
  in.pending = true;
  EXPECT_FALSE(DecideTopup(Config(), in, 55));
  in = Low();
  in.replayed = true;
  EXPECT_FALSE(DecideTopup(Config(), in, 55));
  TopupConfig off = Config();
  off.enabled = false;
  EXPECT_FALSE(DecideTopup(off, Low(), 55));
}

TEST(DecideTopup, AtMostMaxPerDayPerUtcDay) {
  TopupInput in = Low();
  in.counter = TopupCounter{9500, 2};
  const std::optional<TopupRequest> third = DecideTopup(Config(), in, 55);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->counter.count, 3);
  in.counter = third->counter;
  EXPECT_FALSE(DecideTopup(Config(), in, 56));
  // The next UTC day counts afresh, at midnight exactly.
  in.now = 9501 * kMicrosPerDay;
  const std::optional<TopupRequest> next = DecideTopup(Config(), in, 56);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->counter.day, 9501);
  EXPECT_EQ(next->counter.count, 1);
  in.now = 9501 * kMicrosPerDay - 1;
  EXPECT_FALSE(DecideTopup(Config(), in, 56));
  EXPECT_EQ(UtcDay(-1), -1);
  EXPECT_EQ(UtcDay(0), 0);
}

TEST(DecideTopup, EventPayloadBytes) {
  const EventSubject subject{"acme", "usd", 7, 2, 42};
  const std::optional<TopupRequest> r = DecideTopup(Config(), Low(450), 99);
  ASSERT_TRUE(r);
  const PendingEvent e = TopupRequestedEvent(subject, *r, 450);
  EXPECT_EQ(e.type, "credits.auto_topup.requested");
  EXPECT_EQ(e.payload,
            "{\"customer_id\": \"acme\", \"credit_type\": \"usd\", "
            "\"wallet_id\": 7, \"operation_id\": 42, \"grant_id\": 99, "
            "\"amount\": \"1000.00\", \"cost_basis\": \"0.01\", "
            "\"balance\": \"4.50\"}");
  TopupRequest no_basis = *r;
  no_basis.grant.cost_basis = std::nullopt;
  EXPECT_NE(TopupRequestedEvent(subject, no_basis, 450)
                .payload.find("\"cost_basis\": null"),
            std::string::npos);
}

}  // namespace
}  // namespace credit_ledger
