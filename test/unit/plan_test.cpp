#include "amount.hpp"
#include "error.hpp"
#include "plan.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>

namespace credit_ledger {
namespace {

constexpr Micros kNow = 500 * kMicrosPerDay;

GrantState Block(std::int64_t id, std::int64_t remaining,
                 Micros effective = kNow - 1) {
  GrantState g;
  g.grant_id = id;
  g.remaining = remaining;
  g.effective_at = effective;
  return g;
}

TEST(PlanConsume, HardLimitRefusesWhole) {
  WalletState w;
  w.grants = {Block(1, 30), Block(2, 20)};
  try {
    PlanConsume(w, kNow, 51);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInsufficientCredits);
  }
  const ConsumePlan p = PlanConsume(w, kNow, 50);
  EXPECT_EQ(p.uncovered, 0);
  EXPECT_EQ(p.spendable_before, 50);
  EXPECT_EQ(p.spendable_after, 0);
  EXPECT_EQ(p.remaining_after, (std::vector<std::int64_t>{0, 0}));
}

TEST(PlanConsume, SoftLimitTurnsTheRestIntoDebt) {
  WalletState w;
  w.grants = {Block(1, 30)};
  w.policy.limit = 50;
  const ConsumePlan p = PlanConsume(w, kNow, 70);
  EXPECT_EQ(p.uncovered, 40);
  EXPECT_EQ(p.debt_after, 40);
  EXPECT_EQ(p.spendable_after, -40);
  EXPECT_THROW(PlanConsume(w, kNow, 81), LedgerError);
  w.policy.limit.reset();
  EXPECT_EQ(PlanConsume(w, kNow, 1000000).debt_after, 1000000 - 30);
}

TEST(PlanConsume, DebtIsRepaidFirstFromWhatBecameSpendable) {
  WalletState w;
  w.grants = {Block(1, 100), Block(2, 10, kNow + 1)};  // 2 is scheduled
  w.debt = 30;
  w.policy.limit = 100;
  const ConsumePlan p = PlanConsume(w, kNow, 5);
  ASSERT_EQ(p.repayments.size(), 1u);
  EXPECT_EQ(p.repayments[0].index, 0u);
  EXPECT_EQ(p.repayments[0].amount, 30);
  EXPECT_EQ(p.spendable_before, 70);
  EXPECT_EQ(p.debt_after, 0);
  EXPECT_EQ(p.remaining_after, (std::vector<std::int64_t>{65, 10}));
}

TEST(PlanConsume, SettlementOnlyWithAmountZero) {
  WalletState w;
  w.grants = {Block(1, 10)};
  w.debt = 25;
  w.policy.limit = 0;  // even after the limit was lowered below the debt
  const ConsumePlan p = PlanConsume(w, kNow, 0);
  EXPECT_EQ(p.repayments[0].amount, 10);
  EXPECT_EQ(p.debt_after, 15);
  EXPECT_EQ(p.spendable_after, -15);
  EXPECT_TRUE(p.draws.empty());
}

TEST(PlanConsume, NothingSpendableWithHardLimit) {
  WalletState w;
  w.grants = {Block(1, 10, kNow + 1)};
  EXPECT_THROW(PlanConsume(w, kNow, 1), LedgerError);
  EXPECT_EQ(SpendableBalance(w, kNow), 0);
  EXPECT_EQ(SpendableBalance(w, kNow + 1), 10);
}

// Found by fuzz/drawdown_fuzz: a limited wallet whose debt plus the shortfall
// passes 10^18 - 1 reported 22003 (debt is out of range) instead of LG001.
TEST(PlanConsume, LimitRefusesWithLg001EvenPastTheRange) {
  WalletState w;
  w.grants = {Block(1, 5)};
  w.debt = kMaxUnits - 10;
  w.policy.limit = kMaxUnits;  // the largest limit a wallet can have
  try {
    PlanConsume(w, kNow, 20);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInsufficientCredits);
  }
  w.grants.clear();
  w.debt = kMaxUnits;
  w.policy.limit = 0;  // lowered to a hard limit after the debt arose
  try {
    PlanConsume(w, kNow, kMaxUnits);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInsufficientCredits);
  }
  // Unlimited debt past the bound is out of range.
  w.policy.limit.reset();
  try {
    PlanConsume(w, kNow, 1);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOutOfRange);
  }
}

}  // namespace
}  // namespace credit_ledger

namespace credit_ledger {
namespace {

// A consume that drew 50 from grant 2, then 20 from grant 1, and left 5 as
// debt.
const std::vector<UsagePortion> kConsume = {
    {2, 50}, {1, 20}, {std::nullopt, 5}};

std::vector<std::pair<std::optional<std::int64_t>, std::int64_t>>
Flat(const std::vector<Restoration>& r) {
  std::vector<std::pair<std::optional<std::int64_t>, std::int64_t>> out;
  for (const auto& x : r) out.emplace_back(x.grant_id, x.amount);
  return out;
}

TEST(PlanReversal, LastDrawnFirstRestored) {
  using V = std::vector<std::pair<std::optional<std::int64_t>, std::int64_t>>;
  EXPECT_EQ(Flat(PlanReversal(kConsume, 0, std::nullopt, 0)),
            (V{{std::nullopt, 5}, {1, 20}, {2, 50}}));
  EXPECT_EQ(Flat(PlanReversal(kConsume, 0, 12, 0)),
            (V{{std::nullopt, 5}, {1, 7}}));
  // A second partial reversal continues where the first stopped.
  EXPECT_EQ(Flat(PlanReversal(kConsume, 12, 20, 0)), (V{{1, 13}, {2, 7}}));
  EXPECT_EQ(Flat(PlanReversal(kConsume, 32, std::nullopt, 0)), (V{{2, 43}}));
}

TEST(PlanReversal, NeverMoreThanWhatIsLeft) {
  try {
    PlanReversal(kConsume, 70, 6, 2);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidState);
    EXPECT_EQ(e.detail(), "It consumed 0.75, of which 0.05 can still be "
                          "reversed; 0.06 was asked.");
  }
  try {
    PlanReversal(kConsume, 75, std::nullopt, 0);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidState);
    EXPECT_EQ(e.message(), "operation has already been fully reversed");
  }
}

TEST(PlanReversal, RepeatedPartialReversalsAddUpToTheConsume) {
  std::int64_t done = 0;
  std::map<std::optional<std::int64_t>, std::int64_t> restored;
  for (std::int64_t step : {1, 4, 9, 16, 25, 20}) {
    for (const Restoration& r : PlanReversal(kConsume, done, step, 0)) {
      restored[r.grant_id] += r.amount;
    }
    done += step;
  }
  EXPECT_EQ(done, 75);
  EXPECT_EQ(restored[std::nullopt], 5);
  EXPECT_EQ(restored[1], 20);
  EXPECT_EQ(restored[2], 50);
}

// The shortcut the glue takes for wallets without scheduled grants agrees
// with the full computation on every such wallet: active, lapsed and
// depleted grants, with and without debt.
TEST(SpendableFromLedger, AgreesWithTheFullComputationWhenNothingIsScheduled) {
  std::uint64_t seed = 88172645463325252ull;
  auto next = [&](std::int64_t bound) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return static_cast<std::int64_t>(seed % static_cast<std::uint64_t>(bound));
  };
  for (int round = 0; round < 2000; ++round) {
    WalletState w;
    std::int64_t remaining_sum = 0;
    std::int64_t lapsed = 0;
    const int n = static_cast<int>(next(6));
    for (int i = 0; i < n; ++i) {
      GrantState g = Block(i + 1, next(1000), kNow - 1 - next(100));
      if (next(3) == 0)
        g.expires_at = kNow - next(2);  // lapsed, at or before now
      else if (next(2) == 0)
        g.expires_at = kNow + 1 + next(100);
      remaining_sum += g.remaining;
      if (g.expires_at <= kNow) lapsed += g.remaining;
      w.grants.push_back(g);
    }
    w.debt = next(2) == 0 ? 0 : next(500);
    const std::int64_t ledger_balance = remaining_sum - w.debt;
    EXPECT_EQ(SpendableFromLedger(ledger_balance, lapsed),
              SpendableBalance(w, kNow))
        << "round " << round;
  }
  // A scheduled grant is exactly what the shortcut must not be used for.
  WalletState w;
  w.grants = {Block(1, 10), Block(2, 5, kNow + 1)};
  EXPECT_EQ(SpendableBalance(w, kNow), 10);
  EXPECT_NE(SpendableFromLedger(15, 0), SpendableBalance(w, kNow));
}

// Consumes planned one after another by ConsumePlanner are exactly what
// PlanConsume plans on the state the previous ones left: the same draws,
// repayments, debt, balances, emptied grants and refusals, whatever the
// wallet (scheduled, lapsed and empty grants, debt, every overdraft policy).
TEST(ConsumePlanner, EachPlanIsPlanConsumeOnTheStateLeftBefore) {
  std::mt19937 rng(29);
  auto draws_equal = [](const std::vector<Draw>& a,
                        const std::vector<Draw>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].index != b[i].index || a[i].amount != b[i].amount) return false;
    }
    return true;
  };
  int refused = 0, repaid = 0, emptied = 0;
  for (int round = 0; round < 3000; ++round) {
    WalletState w;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      GrantState g = Block(i + 1, static_cast<std::int64_t>(rng() % 50));
      g.priority = static_cast<std::int32_t>(rng() % 3);
      g.promotional = rng() % 2;
      g.effective_at = kNow - 3 + static_cast<Micros>(rng() % 5);
      g.expires_at =
          rng() % 3 ? kNever : kNow - 2 + static_cast<Micros>(rng() % 5);
      w.grants.push_back(g);
    }
    w.debt = rng() % 3 ? 0 : static_cast<std::int64_t>(rng() % 40);
    const int policy = static_cast<int>(rng() % 3);
    w.policy.limit = policy == 0   ? std::optional<std::int64_t>(0)
                     : policy == 1 ? std::optional<std::int64_t>(rng() % 60)
                                   : std::nullopt;
    ConsumePlanner planner(w, kNow);
    WalletState model = w;
    for (int step = 0; step < 8; ++step) {
      const std::int64_t amount = static_cast<std::int64_t>(rng() % 40);
      std::optional<ConsumePlan> expected;
      std::optional<ErrorCode> expected_error;
      try {
        expected = PlanConsume(model, kNow, amount);
      } catch (const LedgerError& e) {
        expected_error = e.code();
      }
      try {
        const ConsumePlan got = planner.Plan(amount);
        ASSERT_TRUE(expected) << "round " << round << " step " << step;
        EXPECT_TRUE(draws_equal(got.repayments, expected->repayments));
        EXPECT_TRUE(draws_equal(got.draws, expected->draws));
        EXPECT_EQ(got.uncovered, expected->uncovered);
        EXPECT_EQ(got.spendable_before, expected->spendable_before);
        EXPECT_EQ(got.spendable_after, expected->spendable_after);
        EXPECT_EQ(got.debt_after, expected->debt_after);
        EXPECT_EQ(got.emptied, expected->emptied);
        EXPECT_TRUE(got.remaining_after.empty());
        repaid += !got.repayments.empty();
        emptied += !got.emptied.empty();
        planner.Apply(got);
        for (std::size_t i = 0; i < model.grants.size(); ++i) {
          model.grants[i].remaining = expected->remaining_after[i];
        }
        model.debt = expected->debt_after;
      } catch (const LedgerError& e) {
        ASSERT_TRUE(expected_error) << "round " << round << " step " << step;
        EXPECT_EQ(e.code(), *expected_error);
        ++refused;
      }
      for (std::size_t i = 0; i < model.grants.size(); ++i) {
        ASSERT_EQ(planner.state().grants[i].remaining,
                  model.grants[i].remaining);
      }
      ASSERT_EQ(planner.state().debt, model.debt);
    }
  }
  // The random wallets reached every case.
  EXPECT_GT(refused, 100);
  EXPECT_GT(repaid, 100);
  EXPECT_GT(emptied, 1000);
}

// PlanConsume names the grants it empties in the order it drew them,
// whatever order they were read in (so credits.grant.depleted events come in
// drawdown order).
TEST(PlanConsume, NamesTheGrantsItEmptiesInDrawdownOrder) {
  WalletState w;
  w.grants = {Block(1, 10), Block(2, 0), Block(3, 5), Block(4, 7)};
  w.grants[0].priority = 90;  // drawn last
  w.grants[3].priority = 10;  // drawn first
  ConsumePlan p = PlanConsume(w, kNow, 13);
  EXPECT_EQ(p.emptied, (std::vector<std::size_t>{3, 2}));  // not the empty one
  // A grant partly repaid, then emptied by the consume, is named once.
  w.debt = 3;
  p = PlanConsume(w, kNow, 5);
  EXPECT_EQ(p.emptied, (std::vector<std::size_t>{3}));
  EXPECT_EQ(p.repayments.back().index, 3u);
  EXPECT_EQ(p.draws.front().index, 3u);
}

TEST(CheckBalanceAsOf, PastAndPresentOnly) {
  CheckBalanceAsOf(std::nullopt, 100);
  CheckBalanceAsOf(100, 100);
  CheckBalanceAsOf(-5, 100);
  try {
    CheckBalanceAsOf(101, 100);
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
    EXPECT_EQ(e.message(), "as_of is in the future");
  }
}

}  // namespace
}  // namespace credit_ledger
