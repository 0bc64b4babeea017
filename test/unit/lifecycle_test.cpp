#include "error.hpp"
#include "lifecycle.hpp"

#include <gtest/gtest.h>

namespace credit_ledger {
namespace {

constexpr Micros kNow = 500 * kMicrosPerDay;

GrantRow Grant(std::int64_t remaining, Micros effective_at = kNow - 1) {
  GrantRow g;
  g.grant_id = 4;
  g.amount = 100;
  g.remaining = remaining;
  g.effective_at = effective_at;
  g.cost_basis = "0.5";
  return g;
}

TEST(PlanVoid, RemovesWhatIsLeft) {
  const VoidPlan p = PlanVoid(Grant(30), 70, kNow);
  EXPECT_EQ(p.voided, 30);
  EXPECT_EQ(p.spendable_after, 40);
  ASSERT_EQ(p.drafts.size(), 1u);
  EXPECT_EQ(p.drafts[0].type, EntryType::kVoid);
  EXPECT_EQ(p.drafts[0].amount, -30);
  EXPECT_EQ(p.drafts[0].cost_basis, "0.5");
  EXPECT_EQ(p.grant.remaining, 0);
  EXPECT_EQ(p.grant.voided_amount, 30);
  EXPECT_EQ(p.grant.voided_at, kNow);
}

TEST(PlanVoid, ScheduledOrEmptyGrants) {
  EXPECT_EQ(PlanVoid(Grant(30, kNow + 1), 70, kNow).spendable_after, 70);
  const VoidPlan empty = PlanVoid(Grant(0), 70, kNow);
  EXPECT_TRUE(empty.drafts.empty());
  EXPECT_EQ(empty.grant.voided_at, kNow);
}

TEST(PlanVoid, RefusesVoidedAndExpiredGrants) {
  GrantRow g = Grant(30);
  g.voided_at = kNow - 5;
  EXPECT_THROW(PlanVoid(g, 0, kNow), LedgerError);
  g = Grant(30);
  g.expires_at = kNow;
  try {
    PlanVoid(g, 0, kNow);
    ADD_FAILURE();
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidState);
    EXPECT_EQ(e.message(), "grant 4 has expired");
  }
}

TEST(Expiration, DraftIsDatedAtExpiry) {
  GrantRow g = Grant(12);
  g.expires_at = kNow - 7;
  const EntryDraft d = ExpirationDraft(g);
  EXPECT_EQ(d.type, EntryType::kExpiration);
  EXPECT_EQ(d.amount, -12);
  EXPECT_EQ(d.occurred_at, kNow - 7);
  EXPECT_EQ(d.grant_id, 4);
  EXPECT_THROW(SweepAsOf(kNow + 1, kNow, 10), LedgerError);
  EXPECT_THROW(SweepAsOf(std::nullopt, kNow, 0), LedgerError);
  EXPECT_EQ(SweepAsOf(std::nullopt, kNow, 1), kNow);
}

}  // namespace
}  // namespace credit_ledger
