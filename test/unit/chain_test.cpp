// NumberEntries: how an operation's drafts become numbered entries of the
// wallet's chain (seq, balance_after, hash, debt), with a known-answer check
// that the hashes it produces are the stored format's (hash_test.cpp).
#include "chain.hpp"

#include "amount.hpp"

#include "error.hpp"
#include "sha256.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace credit_ledger {
namespace {

// The labels of hash_test.cpp's SampleEntry.
EntryLabels SampleLabels() {
  EntryLabels l;
  l.wallet_id = 7;
  l.customer_id = "acme";
  l.credit_type = "usd";
  l.operation_id = 11;
  l.feature = "llm";
  l.occurred_at = 1000;
  l.now = 2000;
  return l;
}

EntryDraft Usage(std::int64_t amount, std::optional<std::int64_t> grant) {
  EntryDraft d;
  d.type = EntryType::kUsage;
  d.amount = amount;
  d.grant_id = grant;
  if (grant) d.promotional = true;
  return d;
}

TEST(NumberEntries, KnownAnswerHashIsTheStoredFormat) {
  // hash_test.cpp's SampleEntry: seq 3, usage of 250 on grant 2, value
  // -125.00, balance 1200 -> 950, after the genesis hash.
  const WalletChain before{2, 1200, 0, kGenesisHash};
  const NumberedEntries n =
      NumberEntries(before, SampleLabels(), {Usage(-250, 2)}, {"-125.00"});
  ASSERT_EQ(n.entries.size(), 1u);
  EXPECT_EQ(n.entries[0].record.seq, 3);
  EXPECT_EQ(n.entries[0].record.balance_after, 950);
  EXPECT_EQ(ToHex(n.entries[0].hash),
            "78cd5be023eec27ac7bcc67e363499bcf41740a5d0fcf60b74f7050b0759ed56");
  EXPECT_EQ(n.after.last_seq, 3);
  EXPECT_EQ(n.after.balance, 950);
  EXPECT_EQ(n.after.debt, 0);
  EXPECT_EQ(n.after.last_hash, n.entries[0].hash);
}

TEST(NumberEntries, EachEntryContinuesThePreviousOne) {
  Digest start{};
  start[0] = 0xab;
  const WalletChain before{40, 100, 0, start};
  EntryDraft grant;
  grant.type = EntryType::kGrant;
  grant.amount = 500;
  grant.grant_id = 9;
  grant.occurred_at = 1500;  // overrides the operation's
  const NumberedEntries n = NumberEntries(
      before, SampleLabels(), {grant, Usage(-30, 9)}, {std::nullopt, "x"});
  ASSERT_EQ(n.entries.size(), 2u);
  const EntryRecord& a = n.entries[0].record;
  const EntryRecord& b = n.entries[1].record;
  EXPECT_EQ(a.seq, 41);
  EXPECT_EQ(b.seq, 42);
  EXPECT_EQ(a.balance_after, 600);
  EXPECT_EQ(b.balance_after, 570);
  EXPECT_EQ(a.occurred_at, 1500);
  EXPECT_EQ(b.occurred_at, 1000);
  EXPECT_EQ(a.created_at, 2000);
  EXPECT_FALSE(a.value);
  EXPECT_EQ(b.value, "x");
  EXPECT_EQ(n.entries[0].hash, ChainHash(start, a));
  EXPECT_EQ(n.entries[1].hash, ChainHash(n.entries[0].hash, b));
  EXPECT_EQ(n.after.last_hash, n.entries[1].hash);
  EXPECT_EQ(n.after.last_seq, 42);
  EXPECT_EQ(n.after.balance, 570);
}

TEST(NumberEntries, EntriesWithoutAGrantMoveDebt) {
  const WalletChain before{5, 0, 20, kGenesisHash};
  // Usage on debt raises it; a repayment pair (credits leave grant 3, debt
  // is paid) lowers it and leaves the balance as it was.
  EntryDraft leave = Usage(-15, 3);
  leave.type = EntryType::kRepayment;
  EntryDraft settle;
  settle.type = EntryType::kRepayment;
  settle.amount = 15;
  const NumberedEntries n = NumberEntries(
      before, SampleLabels(), {Usage(-10, std::nullopt), leave, settle},
      {std::nullopt, std::nullopt, std::nullopt});
  EXPECT_EQ(n.after.debt, 15);  // 20 + 10 - 15
  EXPECT_EQ(n.after.balance, -10);
  EXPECT_EQ(n.after.last_seq, 8);
}

TEST(NumberEntries, NoDraftsLeaveTheWalletAsItWas) {
  const WalletChain before{5, 70, 3, kGenesisHash};
  const NumberedEntries n = NumberEntries(before, SampleLabels(), {}, {});
  EXPECT_TRUE(n.entries.empty());
  EXPECT_EQ(n.after.last_seq, 5);
  EXPECT_EQ(n.after.balance, 70);
  EXPECT_EQ(n.after.debt, 3);
}

TEST(NumberEntries, RefusesValuesThatDoNotMatchTheDrafts) {
  EXPECT_THROW(NumberEntries(WalletChain{}, SampleLabels(), {Usage(-1, 1)}, {}),
               LedgerError);
}

TEST(NumberEntries, BalanceOutOfRangeIsAnError) {
  const WalletChain before{1, kMaxUnits - 1, 0, kGenesisHash};
  EntryDraft grant;
  grant.type = EntryType::kGrant;
  grant.amount = 10;
  grant.grant_id = 1;
  EXPECT_THROW(NumberEntries(before, SampleLabels(), {grant}, {std::nullopt}),
               LedgerError);
}

}  // namespace
}  // namespace credit_ledger
