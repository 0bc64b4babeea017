#include "drafts.hpp"
#include "error.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

constexpr Micros kNow = 500 * kMicrosPerDay;

OpenGrant Open(std::int64_t id, std::int64_t remaining, bool promotional,
               std::optional<std::string> cost_basis) {
  OpenGrant g;
  g.state.grant_id = id;
  g.state.remaining = remaining;
  g.state.effective_at = kNow - 1;
  g.state.promotional = promotional;
  g.cost_basis = std::move(cost_basis);
  return g;
}

// A consume over debt: each repayment is a pair (the grant charged, then the
// debt settled), then the draws, then what no grant covered as new debt.
TEST(ConsumeDrafts, RepaymentsThenDrawsThenDebt) {
  const std::vector<OpenGrant> grants = {Open(7, 40, true, "0.5"),
                                         Open(8, 10, false, std::nullopt)};
  WalletState w = PlannerState(grants, 30, OverdraftPolicy{}, 2);
  w.policy.limit = 1000;
  const ConsumePlan plan = PlanConsume(w, kNow, 50);
  const std::vector<EntryDraft> d =
      ConsumeDrafts(grants, plan, EntryType::kUsage);
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d[0].type, EntryType::kRepayment);
  EXPECT_EQ(d[0].amount, -30);
  EXPECT_EQ(d[0].grant_id, 7);
  EXPECT_EQ(d[0].promotional, true);
  EXPECT_EQ(d[0].cost_basis, "0.5");
  EXPECT_EQ(d[1].type, EntryType::kRepayment);
  EXPECT_EQ(d[1].amount, 30);
  EXPECT_FALSE(d[1].grant_id);
  EXPECT_EQ(d[2].type, EntryType::kUsage);
  EXPECT_EQ(d[2].amount, -10);
  EXPECT_EQ(d[2].grant_id, 7);
  EXPECT_EQ(d[3].amount, -10);
  EXPECT_EQ(d[3].grant_id, 8);
  EXPECT_FALSE(d[3].cost_basis);
  EXPECT_EQ(d[4].type, EntryType::kUsage);
  EXPECT_EQ(d[4].amount, -30);
  EXPECT_FALSE(d[4].grant_id);
  EXPECT_FALSE(d[4].promotional);
}

// The amount a draw-down records: a consume its credits (positive), a
// negative adjustment its signed change; the plan and drafts are the
// consume's, in entries of the operation's type.
TEST(PlanDrawDown, RecordsTheSignedAmountOfItsOperation) {
  const std::vector<OpenGrant> grants = {Open(7, 40, false, std::nullopt)};
  const WalletState w = PlannerState(grants, 0, OverdraftPolicy{}, 2);
  const DrawDownPlan usage =
      PlanDrawDown(grants, w, kNow, 15, EntryType::kUsage);
  EXPECT_EQ(usage.amount, 15);
  EXPECT_EQ(usage.plan.spendable_after, 25);
  EXPECT_EQ(usage.plan.remaining_after, (std::vector<std::int64_t>{25}));
  ASSERT_EQ(usage.drafts.size(), 1u);
  EXPECT_EQ(usage.drafts[0].type, EntryType::kUsage);
  EXPECT_EQ(usage.drafts[0].amount, -15);
  ASSERT_EQ(usage.state.grants.size(), 1u);
  EXPECT_EQ(usage.state.grants[0].grant_id, 7);

  const DrawDownPlan adjust =
      PlanDrawDown(grants, w, kNow, 40, EntryType::kAdjustment);
  EXPECT_EQ(adjust.amount, -40);
  EXPECT_EQ(adjust.plan.emptied, (std::vector<std::size_t>{0}));
  ASSERT_EQ(adjust.drafts.size(), 1u);
  EXPECT_EQ(adjust.drafts[0].type, EntryType::kAdjustment);
  EXPECT_EQ(adjust.drafts[0].amount, -40);
  EXPECT_EQ(DrawDownAmount(EntryType::kUsage, 3), 3);
  EXPECT_EQ(DrawDownAmount(EntryType::kAdjustment, 3), -3);

  EXPECT_THROW(PlanDrawDown(grants, w, kNow, 41, EntryType::kUsage),
               LedgerError);  // hard limit: LG001
}

// The wallet's drawdown_order reaches every plan through PlannerState: the
// same blocks, a paid one expiring first and a promotional one later.
TEST(PlannerState, CarriesTheWalletsDrawdownOrder) {
  std::vector<OpenGrant> grants = {Open(1, 10, false, std::nullopt),
                                   Open(2, 10, true, std::nullopt)};
  grants[0].state.expires_at = kNow + 1;
  grants[1].state.expires_at = kNow + 2;
  const WalletState expiry = PlannerState(grants, 0, OverdraftPolicy{}, 0);
  EXPECT_EQ(expiry.order, DrawdownPolicy::kExpiryFirst);
  const DrawDownPlan a =
      PlanDrawDown(grants, expiry, kNow, 4, EntryType::kUsage);
  ASSERT_EQ(a.drafts.size(), 1u);
  EXPECT_EQ(a.drafts[0].grant_id, 1);
  const WalletState promo = PlannerState(grants, 0, OverdraftPolicy{}, 0,
                                         DrawdownPolicy::kPromotionalFirst);
  const DrawDownPlan b =
      PlanDrawDown(grants, promo, kNow, 4, EntryType::kUsage);
  ASSERT_EQ(b.drafts.size(), 1u);
  EXPECT_EQ(b.drafts[0].grant_id, 2);
}

// A draw-down on a wallet that does not exist: the amount is checked first
// (22023 as for a wallet at that scale), then LG001 naming what is missing.
TEST(RefuseWithoutWallet, ChecksTheAmountThenRefuses) {
  try {
    RefuseWithoutWallet("acme", "usd", "1.5", 2);
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInsufficientCredits);
    EXPECT_EQ(e.message(), "insufficient credits");
    EXPECT_EQ(e.detail(), "Customer \"acme\" has no usd wallet.");
  }
  try {
    RefuseWithoutWallet("acme", "usd", "1.555", 2);
    FAIL();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidParameter);
  }
}

TEST(GrantRow, AsOpenHidesWhatLapsed) {
  GrantRow r;
  r.grant_id = 3;
  r.remaining = 9;
  r.cost_basis = "2";
  EXPECT_EQ(r.AsOpen().state.remaining, 9);
  EXPECT_EQ(r.AsOpen().cost_basis, "2");
  EXPECT_FALSE(r.AsOpen().row);
  EXPECT_FALSE(r.Lapsed(kNow));
  r.voided_at = kNow;
  EXPECT_EQ(r.AsOpen().state.remaining, 0);
  EXPECT_TRUE(r.Lapsed(kNow));
}

}  // namespace
}  // namespace credit_ledger
