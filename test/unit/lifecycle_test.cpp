#include "error.hpp"
#include "grant.hpp"
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

TEST(Expiration, DraftIsDatedAtExpiryAndTheGrantCloses) {
  GrantRow g = Grant(12);
  g.expires_at = kNow - 7;
  g.expired_amount = 3;  // an earlier restoration that lapsed at once
  const ExpiryPlan p = PlanExpiry(g, kNow);
  EXPECT_EQ(p.expired, 12);
  EXPECT_EQ(p.draft.type, EntryType::kExpiration);
  EXPECT_EQ(p.draft.amount, -12);
  EXPECT_EQ(p.draft.occurred_at, kNow - 7);
  EXPECT_EQ(p.draft.grant_id, 4);
  EXPECT_EQ(p.draft.cost_basis, "0.5");
  EXPECT_EQ(p.grant.remaining, 0);
  EXPECT_EQ(p.grant.expired_amount, 15);
  EXPECT_EQ(p.grant.expired_at, kNow);
  EXPECT_FALSE(p.grant.voided_at);
  EXPECT_FALSE(IsOpen(p.grant));
  EXPECT_THROW(SweepAsOf(kNow + 1, kNow, 10), LedgerError);
  EXPECT_THROW(SweepAsOf(std::nullopt, kNow, 0), LedgerError);
  EXPECT_EQ(SweepAsOf(std::nullopt, kNow, 1), kNow);
}

// The sweep re-reads a grant under its wallet's lock: only an open grant
// lapsed by as_of still expires.
TEST(Expiration, SweepExpiresOnlyOpenLapsedGrants) {
  GrantRow g = Grant(12);
  g.expires_at = kNow - 7;
  EXPECT_TRUE(SweepExpires(g, kNow - 7));
  EXPECT_FALSE(SweepExpires(g, kNow - 8));  // not lapsed by as_of
  GrantRow empty = g;
  empty.remaining = 0;  // consumed in full meanwhile
  EXPECT_FALSE(SweepExpires(empty, kNow));
  GrantRow voided = g;
  voided.voided_at = kNow - 1;
  EXPECT_FALSE(SweepExpires(voided, kNow));
  EXPECT_FALSE(SweepExpires(PlanExpiry(g, kNow).grant, kNow));  // swept twice
}

}  // namespace
}  // namespace credit_ledger
