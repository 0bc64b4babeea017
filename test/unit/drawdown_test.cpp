#include "drawdown.hpp"
#include "error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace credit_ledger {
namespace {

constexpr Micros kNow = 1000 * kMicrosPerDay;

GrantState Grant(std::int64_t id, std::int64_t remaining) {
  GrantState g;
  g.grant_id = id;
  g.remaining = remaining;
  g.effective_at = kNow - kMicrosPerDay;
  return g;
}

std::vector<std::int64_t> DrawOrder(const std::vector<GrantState>& grants) {
  std::int64_t total = 0;
  for (const auto& g : grants) total += g.remaining;
  DrawdownPlan plan = PlanDrawdown(grants, kNow, total);
  std::vector<std::int64_t> ids;
  for (const Draw& d : plan.draws) ids.push_back(grants[d.index].grant_id);
  return ids;
}

TEST(DrawdownOrder, PriorityComesFirst) {
  auto a = Grant(1, 10), b = Grant(2, 10);
  a.priority = 50;
  b.priority = 0;
  a.expires_at = kNow + 1;  // would otherwise win on expiry
  EXPECT_EQ(DrawOrder({a, b}), (std::vector<std::int64_t>{2, 1}));
}

TEST(DrawdownOrder, SoonestExpiryThenNeverExpiringLast) {
  auto never = Grant(1, 10), late = Grant(2, 10), soon = Grant(3, 10);
  late.expires_at = kNow + 10 * kMicrosPerDay;
  soon.expires_at = kNow + kMicrosPerDay;
  EXPECT_EQ(DrawOrder({never, late, soon}),
            (std::vector<std::int64_t>{3, 2, 1}));
}

TEST(DrawdownOrder, PromotionalBeforePaidOnEqualExpiry) {
  auto paid = Grant(1, 10), promo = Grant(2, 10);
  promo.promotional = true;
  EXPECT_EQ(DrawOrder({paid, promo}), (std::vector<std::int64_t>{2, 1}));
  // ...but expiry outranks promotional.
  paid.expires_at = kNow + 5;
  EXPECT_EQ(DrawOrder({paid, promo}), (std::vector<std::int64_t>{1, 2}));
}

TEST(DrawdownOrder, EffectiveAtThenIdAreTheFifoTieBreakers) {
  auto older = Grant(9, 10), newer = Grant(1, 10);
  older.effective_at = kNow - 2 * kMicrosPerDay;
  EXPECT_EQ(DrawOrder({newer, older}), (std::vector<std::int64_t>{9, 1}));
  auto x = Grant(5, 10), y = Grant(4, 10);
  EXPECT_EQ(DrawOrder({x, y}), (std::vector<std::int64_t>{4, 5}));
}

TEST(DrawdownOrder, IsATotalOrderIndependentOfInputOrder) {
  std::vector<GrantState> grants;
  std::mt19937 rng(7);
  for (int i = 1; i <= 200; ++i) {
    auto g = Grant(i, 1 + static_cast<std::int64_t>(rng() % 5));
    g.priority = static_cast<std::int32_t>(rng() % 3);
    g.expires_at =
        rng() % 3 == 0 ? kNever : kNow + 1 + (rng() % 4) * kMicrosPerDay;
    g.promotional = rng() % 2 == 0;
    g.effective_at = kNow - 1 - static_cast<Micros>(rng() % 3);
    grants.push_back(g);
  }
  const auto expected = DrawOrder(grants);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(grants.begin(), grants.end(), rng);
    EXPECT_EQ(DrawOrder(grants), expected);
  }
  // Sorted by the comparator, neighbours are strictly ordered.
  std::sort(grants.begin(), grants.end(), DrawsBefore);
  for (std::size_t i = 1; i < grants.size(); ++i) {
    EXPECT_TRUE(DrawsBefore(grants[i - 1], grants[i]));
    EXPECT_FALSE(DrawsBefore(grants[i], grants[i - 1]));
  }
}

TEST(Spendable, HalfOpenInterval) {
  auto g = Grant(1, 10);
  g.effective_at = kNow;
  g.expires_at = kNow + 1;
  EXPECT_FALSE(IsSpendableAt(g, kNow - 1));
  EXPECT_TRUE(IsSpendableAt(g, kNow));
  EXPECT_FALSE(IsSpendableAt(g, kNow + 1));
  g.remaining = 0;
  EXPECT_FALSE(IsSpendableAt(g, kNow));
}

TEST(PlanDrawdown, SplitsAcrossGrantsAndSkipsUnspendable) {
  auto a = Grant(1, 30), b = Grant(2, 50), lapsed = Grant(3, 1000),
       scheduled = Grant(4, 1000);
  a.expires_at = kNow + 1;
  b.expires_at = kNow + 2;
  lapsed.expires_at = kNow;  // exclusive: lapsed at exactly now
  scheduled.effective_at = kNow + 1;
  const std::vector<GrantState> grants{scheduled, b, lapsed, a};
  EXPECT_EQ(SpendableRemaining(grants, kNow), 80);

  DrawdownPlan plan = PlanDrawdown(grants, kNow, 45);
  ASSERT_EQ(plan.draws.size(), 2u);
  EXPECT_EQ(grants[plan.draws[0].index].grant_id, 1);
  EXPECT_EQ(plan.draws[0].amount, 30);
  EXPECT_EQ(grants[plan.draws[1].index].grant_id, 2);
  EXPECT_EQ(plan.draws[1].amount, 15);
  EXPECT_EQ(plan.drawn, 45);
  EXPECT_EQ(plan.uncovered, 0);

  plan = PlanDrawdown(grants, kNow, 100);
  EXPECT_EQ(plan.drawn, 80);
  EXPECT_EQ(plan.uncovered, 20);
}

TEST(PlanDrawdown, ConservesEveryUnitOnRandomWallets) {
  std::mt19937 rng(11);
  for (int round = 0; round < 500; ++round) {
    std::vector<GrantState> grants;
    const int n = static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) {
      auto g = Grant(i + 1, static_cast<std::int64_t>(rng() % 100));
      g.effective_at = kNow - 5 + static_cast<Micros>(rng() % 10);
      g.expires_at =
          rng() % 2 ? kNever : kNow - 5 + static_cast<Micros>(rng() % 10);
      grants.push_back(g);
    }
    const std::int64_t amount = static_cast<std::int64_t>(rng() % 300);
    const DrawdownPlan plan = PlanDrawdown(grants, kNow, amount);
    std::int64_t sum = 0;
    for (const Draw& d : plan.draws) {
      EXPECT_GT(d.amount, 0);
      EXPECT_LE(d.amount, grants[d.index].remaining);
      EXPECT_TRUE(IsSpendableAt(grants[d.index], kNow));
      sum += d.amount;
    }
    EXPECT_EQ(sum, plan.drawn);
    EXPECT_EQ(plan.drawn + plan.uncovered, amount);
    EXPECT_EQ(plan.drawn, std::min(amount, SpendableRemaining(grants, kNow)));
    // Only the last draw may leave something in its grant.
    for (std::size_t i = 0; i + 1 < plan.draws.size(); ++i) {
      EXPECT_EQ(plan.draws[i].amount, grants[plan.draws[i].index].remaining);
    }
  }
}

TEST(CheckOverdraft, HardSoftAndUnlimited) {
  OverdraftPolicy hard{0}, soft{std::int64_t{50}}, unlimited{std::nullopt};
  EXPECT_NO_THROW(CheckOverdraft(hard, 0, 10, 10, 0));
  EXPECT_NO_THROW(CheckOverdraft(soft, 50, 10, 60, 0));
  EXPECT_NO_THROW(
      CheckOverdraft(unlimited, std::int64_t{999999999999999999}, 0, 1, 0));
  try {
    CheckOverdraft(hard, 1, 9, 10, 2);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInsufficientCredits);
    EXPECT_EQ(e.message(), "insufficient credits");
    EXPECT_EQ(e.detail(),
              "The spendable balance is 0.09 and 0.10 was requested.");
  }
  EXPECT_THROW(CheckOverdraft(soft, 51, 10, 61, 0), LedgerError);
}

}  // namespace
}  // namespace credit_ledger
