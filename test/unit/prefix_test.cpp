#include "error.hpp"
#include "holds.hpp"
#include "prefix.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

namespace credit_ledger {
namespace {

constexpr Micros kNow = 800 * kMicrosPerDay;

OpenGrant Block(std::int64_t id, std::int64_t remaining,
                std::int32_t priority = 50, Micros expires_at = kNever,
                bool promotional = false) {
  OpenGrant g;
  g.state.grant_id = id;
  g.state.remaining = remaining;
  g.state.priority = priority;
  g.state.expires_at = expires_at;
  g.state.promotional = promotional;
  g.state.effective_at = kNow - kMicrosPerDay;
  g.cost_basis = "0.01";
  return g;
}

// The blocks as grants_drawdown_idx hands them out: DrawsBefore's order.
std::vector<OpenGrant> InIndexOrder(std::vector<OpenGrant> blocks) {
  std::sort(blocks.begin(), blocks.end(),
            [](const OpenGrant& a, const OpenGrant& b) {
              return DrawsBefore(a.state, b.state);
            });
  return blocks;
}

struct Wallet {
  std::vector<OpenGrant> blocks;  // in index order
  std::int64_t debt = 0;
  std::optional<std::int64_t> limit = 0;
  DrawdownPolicy order = DrawdownPolicy::kExpiryFirst;
  std::int64_t reserved_overdraft = 0;

  WalletState State(const std::vector<OpenGrant>& grants) const {
    WalletState s = PlannerState(grants, debt, OverdraftPolicy{}, 2, order);
    s.policy.limit = limit;
    return s;
  }
  // What the ledger balance says: every spendable credit less the debt and
  // what holds reserve against the allowance.
  std::int64_t Available() const {
    return SpendableBalance(State(blocks), kNow) - reserved_overdraft;
  }
};

struct Read {
  DrawDownPlan plan;
  std::vector<OpenGrant> grants;  // what was read, the plan's input
};

// Reads `w`'s blocks as the glue does: until Take says stop.
Read ReadAndPlan(const Wallet& w, std::int64_t units, bool allow_partial,
                 std::optional<std::int64_t> available) {
  PrefixDrawDown read(w.State({}), kNow, units, EntryType::kUsage,
                      allow_partial, w.reserved_overdraft, available);
  for (const OpenGrant& g : w.blocks) {
    if (!read.Take(g)) break;
  }
  return Read{read.Plan(), read.grants()};
}

std::vector<std::pair<std::int64_t, std::int64_t>>
ById(const std::vector<Draw>& draws, const std::vector<OpenGrant>& grants) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const Draw& d : draws)
    out.emplace_back(grants[d.index].state.grant_id, d.amount);
  return out;
}

// The plan from what was read is the plan from every block.
void ExpectSamePlan(const Read& r, const Wallet& w, std::int64_t units,
                    bool allow_partial) {
  const DrawDownPlan all = PlanWalletDrawDown(
      w.blocks, w.State(w.blocks), kNow, units, EntryType::kUsage,
      allow_partial, w.reserved_overdraft);
  const ConsumePlan& a = all.plan;
  const ConsumePlan& p = r.plan.plan;
  EXPECT_EQ(ById(p.repayments, r.grants), ById(a.repayments, w.blocks));
  EXPECT_EQ(ById(p.draws, r.grants), ById(a.draws, w.blocks));
  EXPECT_EQ(p.uncovered, a.uncovered);
  EXPECT_EQ(p.debt_after, a.debt_after);
  EXPECT_EQ(p.spendable_before, a.spendable_before);
  EXPECT_EQ(p.spendable_after, a.spendable_after);
  EXPECT_EQ(r.plan.amount, all.amount);
  ASSERT_EQ(r.plan.drafts.size(), all.drafts.size());
  for (std::size_t i = 0; i < all.drafts.size(); ++i) {
    EXPECT_EQ(r.plan.drafts[i].amount, all.drafts[i].amount);
    EXPECT_EQ(r.plan.drafts[i].grant_id, all.drafts[i].grant_id);
  }
  std::vector<std::int64_t> emptied, emptied_all;
  for (std::size_t i : p.emptied) emptied.push_back(r.grants[i].state.grant_id);
  for (std::size_t i : a.emptied)
    emptied_all.push_back(w.blocks[i].state.grant_id);
  EXPECT_EQ(emptied, emptied_all);
}

TEST(PrefixDrawDown, ExpiryFirstReadsUntilTheBlocksCover) {
  Wallet w;
  w.blocks = InIndexOrder({Block(1, 10, 0), Block(2, 5, 50, kNow + 10),
                           Block(3, 100), Block(4, 7, 90)});
  const Read r = ReadAndPlan(w, 12, false, w.Available());
  ASSERT_EQ(r.grants.size(), 2u);  // 10 + 5 cover 12: blocks 3 and 4 unread
  EXPECT_EQ(r.plan.plan.spendable_before, 122);  // the ledger's, not 15
  EXPECT_EQ(r.plan.plan.spendable_after, 110);
  ExpectSamePlan(r, w, 12, false);
  // One block covering the amount is the only one read.
  EXPECT_EQ(ReadAndPlan(w, 10, false, w.Available()).grants.size(), 1u);
}

// Under promotional_first a paid block read is settled only once a block of
// a later priority is read: a promotional one of its priority expiring
// later may still come, and it goes first.
TEST(PrefixDrawDown, PromotionalFirstSettlesPaidBlocksPastTheirPriority) {
  Wallet w;
  w.order = DrawdownPolicy::kPromotionalFirst;
  w.blocks =
      InIndexOrder({Block(1, 100, 50, kNow + 10), Block(2, 5, 50, kNever, true),
                    Block(3, 1, 60), Block(4, 9, 70, kNever, true)});
  ASSERT_EQ(w.blocks[0].state.grant_id, 1);  // the index puts expiry first
  // The promotional block settles at once and covers 3.
  const Read small = ReadAndPlan(w, 3, false, w.Available());
  EXPECT_EQ(small.grants.size(), 2u);
  ExpectSamePlan(small, w, 3, false);
  EXPECT_EQ(ById(small.plan.plan.draws, small.grants),
            (std::vector<std::pair<std::int64_t, std::int64_t>>{{2, 3}}));
  // 50 needs the paid block, settled when block 3's priority comes.
  const Read more = ReadAndPlan(w, 50, false, w.Available());
  EXPECT_EQ(more.grants.size(), 3u);
  ExpectSamePlan(more, w, 50, false);
  EXPECT_EQ(
      ById(more.plan.plan.draws, more.grants),
      (std::vector<std::pair<std::int64_t, std::int64_t>>{{2, 5}, {1, 45}}));
}

TEST(PrefixDrawDown, TheDebtIsCoveredFirst) {
  Wallet w;
  w.debt = 7;  // after an upgrade: debt beside spendable blocks
  w.limit = 100;
  w.blocks = InIndexOrder(
      {Block(1, 10, 10), Block(2, 10, 20), Block(3, 10, 30), Block(4, 10, 40)});
  const Read r = ReadAndPlan(w, 5, false, w.Available());
  EXPECT_EQ(r.grants.size(), 2u);  // 7 + 5 needs two blocks
  ExpectSamePlan(r, w, 5, false);
  EXPECT_EQ(r.plan.plan.repayments.size(), 1u);
}

TEST(PrefixDrawDown, AllowPartialAppliesWhatTheLedgerBalanceCovers) {
  Wallet w;
  w.limit = std::nullopt;
  w.reserved_overdraft = 4;  // a hold reserved 4 beyond the blocks
  w.blocks = InIndexOrder({Block(1, 10, 10), Block(2, 10, 20)});
  EXPECT_EQ(w.Available(), 16);
  Read r = ReadAndPlan(w, 100, true, w.Available());
  EXPECT_EQ(r.plan.amount, 16);
  ExpectSamePlan(r, w, 100, true);
  r = ReadAndPlan(w, 3, true, w.Available());
  EXPECT_EQ(r.grants.size(), 1u);
  ExpectSamePlan(r, w, 3, true);
  // Nothing to apply: decided before any block is read.
  Wallet empty = w;
  empty.reserved_overdraft = 20;
  PrefixDrawDown none(empty.State({}), kNow, 5, EntryType::kUsage, true, 20,
                      empty.Available());
  EXPECT_TRUE(none.Decided());
  EXPECT_EQ(none.Plan().amount, 0);
  EXPECT_EQ(none.Plan().plan.spendable_before, 20);
}

TEST(PrefixDrawDown, BlocksThatCannotBeSpentNowCoverNothing) {
  Wallet w;
  OpenGrant held = Block(1, 0, 10);  // a hold reserves all of it
  OpenGrant later = Block(2, 50, 20);
  later.state.effective_at = kNow + 1;  // entered by 1.1 before it starts
  OpenGrant lapsed = Block(3, 50, 30, kNow);
  w.blocks = InIndexOrder({held, later, lapsed, Block(4, 5, 40)});
  // (The ledger would hold the early block's credit: no `available` then;
  // here it is the spendable balance, to see what the prefix covers.)
  const Read r = ReadAndPlan(w, 5, false, 5);
  EXPECT_EQ(r.grants.size(), 4u);
  ExpectSamePlan(r, w, 5, false);
}

TEST(PrefixDrawDown, MoreThanTheBlocksReadsThemAllAndTheLimitDecides) {
  Wallet w;
  w.blocks = InIndexOrder({Block(1, 10), Block(2, 10)});
  const Read r = ReadAndPlan(w, 15, false, w.Available());
  EXPECT_EQ(r.grants.size(), 2u);
  ExpectSamePlan(r, w, 15, false);
  PrefixDrawDown refused(w.State({}), kNow, 21, EntryType::kUsage, false, 0,
                         w.Available());
  for (const OpenGrant& g : w.blocks) EXPECT_TRUE(refused.Take(g));
  EXPECT_FALSE(refused.Decided());
  try {
    refused.Plan();
    ADD_FAILURE() << "a consume past a hard limit was planned";
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInsufficientCredits);
  }
  w.limit = 5;  // a soft limit admits 1 of debt
  ExpectSamePlan(ReadAndPlan(w, 21, false, w.Available()), w, 21, false);
}

TEST(PrefixDrawDown, WithoutTheLedgerBalanceEveryBlockIsReadInAnyOrder) {
  Wallet w;
  w.blocks = {Block(3, 100), Block(1, 10, 0), Block(2, 5, 50, kNow + 10)};
  PrefixDrawDown read(w.State({}), kNow, 1, EntryType::kUsage, false, 0,
                      std::nullopt);
  for (const OpenGrant& g : w.blocks) EXPECT_TRUE(read.Take(g));
  EXPECT_FALSE(read.Decided());
  ExpectSamePlan(Read{read.Plan(), read.grants()}, w, 1, false);
}

TEST(PrefixDrawDown, BlocksOutOfDrawdownOrderAreABug) {
  Wallet w;
  PrefixDrawDown read(w.State({}), kNow, 100, EntryType::kUsage, false, 0, 0);
  EXPECT_TRUE(read.Take(Block(2, 5, 50)));
  try {
    read.Take(Block(1, 5, 40));
    ADD_FAILURE() << "a block out of order was taken";
  } catch (const LedgerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
  }
}

// A block offered once the draw-down is decided is not taken: nothing of
// it is planned or written.
TEST(PrefixDrawDown, NothingIsTakenOnceDecided) {
  Wallet w;
  PrefixDrawDown done(w.State({}), kNow, 5, EntryType::kUsage, false, 0, 5);
  EXPECT_FALSE(done.Take(Block(1, 5)));
  EXPECT_FALSE(done.Take(Block(2, 5)));
  EXPECT_EQ(done.grants().size(), 1u);
  // 0 credits (a priced usage that rounds to zero) needs no block at all.
  PrefixDrawDown zero(w.State({}), kNow, 0, EntryType::kUsage, false, 0, 5);
  EXPECT_TRUE(zero.Decided());
  EXPECT_FALSE(zero.Take(Block(1, 5)));
  EXPECT_TRUE(zero.grants().empty());
  EXPECT_TRUE(zero.Plan().drafts.empty());
  EXPECT_EQ(zero.Plan().plan.spendable_after, 5);
}

}  // namespace
}  // namespace credit_ledger
