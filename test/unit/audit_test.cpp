#include "audit.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace credit_ledger {
namespace {

// Builds a healthy wallet history the way the writer does: grant 100 (g1),
// grant 50 promotional (g2), a consume drawing 50 from g2 and 20 from g1, and
// an overdraft usage of 5 without a grant.
struct Ledger {
  std::vector<EntryRecord> entries;
  std::vector<Digest> hashes;
  std::vector<AuditGrant> grants{{1, 100, 80}, {2, 50, 0}};
  AuditWallet wallet;

  void Append(EntryType type, std::int64_t amount,
              std::optional<std::int64_t> grant, std::int64_t op) {
    EntryRecord e;
    e.wallet_id = 1;
    e.seq = static_cast<std::int64_t>(entries.size()) + 1;
    e.type = type;
    e.amount = amount;
    e.balance_after =
        (entries.empty() ? 0 : entries.back().balance_after) + amount;
    e.grant_id = grant;
    e.operation_id = op;
    e.customer_id = "c";
    e.credit_type = "usd";
    const Digest prev = hashes.empty() ? kGenesisHash : hashes.back();
    hashes.push_back(ChainHash(prev, e));
    entries.push_back(e);
  }

  Ledger() {
    Append(EntryType::kGrant, 100, 1, 1);
    Append(EntryType::kGrant, 50, 2, 2);
    Append(EntryType::kUsage, -50, 2, 3);
    Append(EntryType::kUsage, -20, 1, 3);
    Append(EntryType::kUsage, -5, std::nullopt, 4);
    wallet.balance = 75;
    wallet.debt = 5;
    wallet.last_seq = 5;
    wallet.last_hash = hashes.back();
    grants[0].open = true;   // 80 left
    grants[1].open = false;  // drawn down to 0
  }

  // Appends a lifecycle entry (void or expiration) taking all of grant g's
  // remaining credits, as credit_void or the sweep would in operation op,
  // and records it where those write it.
  void Lapse(EntryType type, std::size_t g, std::int64_t op) {
    AuditGrant& grant = grants[g];
    Append(type, -grant.remaining, grant.grant_id, op);
    (type == EntryType::kVoid ? grant.voided_amount : grant.expired_amount) +=
        grant.remaining;
    (type == EntryType::kVoid ? grant.voided_at : grant.expired_at) = 5000;
    wallet.balance -= grant.remaining;
    grant.remaining = 0;
    grant.open = false;
    wallet.last_seq = static_cast<std::int64_t>(entries.size());
    wallet.last_hash = hashes.back();
  }

  std::vector<std::int64_t> returning;          // ReturnsHeldCredit
  std::vector<std::int64_t> returning_entries;  // ReturnsHeldCreditEntry

  std::vector<std::string> Problems() const {
    WalletAuditor auditor(2, grants);
    for (std::int64_t op : returning) auditor.ReturnsHeldCredit(op);
    for (std::int64_t seq : returning_entries)
      auditor.ReturnsHeldCreditEntry(seq);
    for (std::size_t i = 0; i < entries.size(); ++i)
      auditor.Add(entries[i], hashes[i]);
    std::vector<std::string> codes;
    for (const Problem& p : auditor.Finish(wallet)) codes.push_back(p.problem);
    std::sort(codes.begin(), codes.end());
    return codes;
  }
};

using Codes = std::vector<std::string>;

TEST(WalletAuditor, HealthyLedgerHasNoProblems) {
  EXPECT_EQ(Ledger().Problems(), Codes{});
}

// 1.2 (issue 14): g1's lapse rolls 30 over into a new block g3 (a rollover
// pair, - on g1 and + opening g3) and expires the other 50; g3 is then
// amended (an entry of amount 0). A healthy ledger; an amendment that moves
// credit is not.
TEST(WalletAuditor, RolloverPairsAndAmendmentsAreHealthy) {
  Ledger l;
  l.Append(EntryType::kRollover, -30, 1, 5);
  l.Append(EntryType::kRollover, 30, 3, 5);
  l.grants.push_back({3, 30, 30});
  // (Its kind stays 'grant' here: the kinds 'recurring', 'rollover' and
  // 'topup' join the grants table's CHECK, and its mirror in CheckGrantRow,
  // with the glue of issue 14.)
  l.grants[2].open = true;
  l.grants[0].remaining = 50;
  l.wallet.balance = 75;
  l.Lapse(EntryType::kExpiration, 0, 5);
  l.Append(EntryType::kAmendment, 0, 3, 6);
  l.wallet.last_seq = 9;
  l.wallet.last_hash = l.hashes.back();
  EXPECT_EQ(l.Problems(), Codes{});
  Ledger bad = l;
  bad.entries.back().amount = 1;
  bad.hashes.back() =
      ChainHash(bad.hashes[bad.hashes.size() - 2], bad.entries.back());
  bad.wallet.last_hash = bad.hashes.back();
  const Codes codes = bad.Problems();
  EXPECT_NE(std::find(codes.begin(), codes.end(), "amount_sign"), codes.end());
}

// 1.2: a block that has not entered (scheduled or pending) has no entries
// and is open; one with entries while marked not entered is caught. An
// entered block's entries sum to remaining + held; the wallet's held sums
// must match its active holds.
TEST(WalletAuditor, BlocksNotEnteredAndHeldCredit) {
  Ledger l;
  AuditGrant waiting{3, 40, 40};
  waiting.entered = false;
  waiting.open = true;
  l.grants.push_back(waiting);
  EXPECT_EQ(l.Problems(), Codes{});
  l.grants[2].open = false;  // not canceled nor voided: it must be open
  EXPECT_EQ(l.Problems(), Codes{"open_mismatch"});
  l.grants[2].open = true;
  l.grants[0].entered = false;  // grant 1 has entries
  l.grants[0].open = true;
  EXPECT_EQ(l.Problems(), Codes{"grant_entry_mismatch"});
  l.grants[0].entered = true;
  // A hold reserves 30 of grant 1: remaining 50 + held 30 = its entries.
  l.grants[0].remaining = 50;
  l.grants[0].held = 30;
  EXPECT_EQ(l.Problems(), Codes{});
  l.grants[0].held = 0;
  EXPECT_EQ(l.Problems(), Codes{"remaining_mismatch"});
  l.grants[0].held = 30;
  l.wallet.tracks_holds = true;
  l.wallet.held = 30;
  l.wallet.holds_held = 30;
  EXPECT_EQ(l.Problems(), Codes{});
  l.wallet.holds_held = 20;
  EXPECT_EQ(l.Problems(), Codes{"held_mismatch"});
}

// 1.2, automatic top-up: topup_pending_grant_id names a top-up block of
// the wallet still waiting for payment, and no other one waits.
TEST(WalletAuditor, PendingTopupNamesTheWaitingTopupBlock) {
  Ledger l;
  AuditGrant topup{3, 40, 40};
  topup.kind = "topup";
  topup.entered = false;
  topup.pending = true;
  topup.open = true;
  l.grants.push_back(topup);
  l.wallet.tracks_topup = true;
  l.wallet.topup_pending = 3;
  EXPECT_EQ(l.Problems(), Codes{});
  l.wallet.tracks_topup = false;  // before 1.2: nothing to check
  l.wallet.topup_pending = 9;
  EXPECT_EQ(l.Problems(), Codes{});
  l.wallet.tracks_topup = true;
  // A block the wallet does not have, and then grant 3 waits unnamed.
  EXPECT_EQ(l.Problems(),
            (Codes{"topup_pending_mismatch", "topup_pending_mismatch"}));
  l.wallet.topup_pending.reset();  // grant 3 waits, the wallet names none
  EXPECT_EQ(l.Problems(), Codes{"topup_pending_mismatch"});
  l.wallet.topup_pending = 1;  // a plain grant, entered
  EXPECT_EQ(l.Problems(),
            (Codes{"topup_pending_mismatch", "topup_pending_mismatch"}));
  l.wallet.topup_pending = 3;
  l.grants[2].pending = false;  // confirmed: it no longer waits
  l.grants[2].entered = false;  // (its effective_at still to come)
  EXPECT_EQ(l.Problems(), Codes{"topup_pending_mismatch"});
  l.wallet.topup_pending.reset();
  EXPECT_EQ(l.Problems(), Codes{});
  l.grants[2].pending = true;  // canceled: closed, settled
  l.grants[2].canceled = true;
  l.grants[2].open = false;
  EXPECT_EQ(l.Problems(), Codes{});
}

TEST(WalletAuditor, LatestEffectiveAtMustCoverEveryBlock) {
  Ledger l;
  l.grants[0].effective_at = 1000;
  l.grants[1].effective_at = 2000;
  l.wallet.tracks_latest_effective = true;
  l.wallet.latest_effective_at = 2000;
  EXPECT_EQ(l.Problems(), Codes{});
  l.wallet.latest_effective_at = 1999;  // grant 2 could be counted too early
  EXPECT_EQ(l.Problems(), Codes{"latest_effective_behind"});
  l.wallet.latest_effective_at.reset();  // "never had a block", yet it has two
  EXPECT_EQ(l.Problems(),
            (Codes{"latest_effective_behind", "latest_effective_behind"}));
  l.wallet.tracks_latest_effective = false;  // a 1.0 schema: nothing to check
  EXPECT_EQ(l.Problems(), Codes{});
}

TEST(WalletAuditor, AlteredAmountBreaksSumsAndHash) {
  Ledger l;
  l.entries[2].amount = -40;
  EXPECT_EQ(l.Problems(), (Codes{"balance_after_mismatch", "balance_mismatch",
                                 "hash_mismatch", "remaining_mismatch"}));
}

TEST(WalletAuditor, RehashedForgeryIsCaughtByTheNextLink) {
  Ledger l;
  l.entries[2].feature = "free";
  l.hashes[2] = ChainHash(l.hashes[1], l.entries[2]);  // attacker re-hashes
  EXPECT_EQ(l.Problems(), Codes{"hash_mismatch"});
}

TEST(WalletAuditor, MissingMiddleEntry) {
  Ledger l;
  l.entries.erase(l.entries.begin() + 3);
  l.hashes.erase(l.hashes.begin() + 3);
  const Codes codes = l.Problems();
  EXPECT_TRUE(std::count(codes.begin(), codes.end(), "seq_gap") == 1);
  EXPECT_TRUE(std::count(codes.begin(), codes.end(), "remaining_mismatch") ==
              1);
}

TEST(WalletAuditor, CachedWalletAndGrantValues) {
  Ledger l;
  l.wallet.balance = 76;
  l.wallet.debt = 0;
  l.wallet.last_seq = 6;
  l.grants[0].remaining = 81;
  EXPECT_EQ(l.Problems(), (Codes{"balance_mismatch", "debt_mismatch",
                                 "remaining_mismatch", "seq_mismatch"}));
}

TEST(WalletAuditor, RemainingOutsideItsBlock) {
  Ledger l;
  l.grants[1].remaining = 60;  // more than the grant's 50
  l.grants[1].amount = 50;
  const Codes codes = l.Problems();
  EXPECT_TRUE(
      std::count(codes.begin(), codes.end(), "remaining_out_of_range") == 1);
}

TEST(WalletAuditor, WrongSignAndUnknownGrant) {
  Ledger l;
  l.Append(EntryType::kExpiration, 5, 1, 5);  // an expiration must be negative
  l.Append(EntryType::kUsage, -1, 99, 6);     // no such grant
  l.wallet.balance = 79;
  l.wallet.last_seq = 7;
  l.wallet.last_hash = l.hashes.back();
  l.grants[0].remaining = 85;
  l.grants[0].expired_amount = -5;  // consistent with the (wrong) entry
  // ... but not expired_at: the lifecycle columns disagree as well.
  EXPECT_EQ(l.Problems(),
            (Codes{"amount_sign", "lifecycle_mismatch", "unknown_grant"}));
}

TEST(WalletAuditor, ExpiredTwiceButRestoredCreditMayLapseAgain) {
  Ledger l;
  l.Append(EntryType::kExpiration, -40, 1, 7);
  l.Append(EntryType::kExpiration, -40, 1, 8);  // the sweep ran twice
  l.wallet.balance = -5;
  l.wallet.last_seq = 7;
  l.wallet.last_hash = l.hashes.back();
  l.grants[0].remaining = 0;
  l.grants[0].expired_amount = 80;
  l.grants[0].expired_at = 5000;
  l.grants[0].open = false;
  EXPECT_EQ(l.Problems(), Codes{"expired_twice"});

  Ledger r;
  r.Append(EntryType::kExpiration, -80, 1, 7);
  r.Append(EntryType::kReversal, 20, 1, 8);     // a reversal restores 20 ...
  r.Append(EntryType::kExpiration, -20, 1, 8);  // ... which lapses at once
  r.wallet.balance = -5;
  r.wallet.last_seq = 8;
  r.wallet.last_hash = r.hashes.back();
  r.grants[0].remaining = 0;
  r.grants[0].expired_amount = 100;
  r.grants[0].expired_at = 5000;
  r.grants[0].open = false;
  EXPECT_EQ(r.Problems(), Codes{});
  r.grants[0].expired_amount = 80;  // the stored total must match the entries
  EXPECT_EQ(r.Problems(), Codes{"lapsed_mismatch"});
}

TEST(WalletAuditor, HeldCreditGivenBackToALapsedBlockLapsesAgain) {
  // The block lapsed with 60 free (operation 7) while a hold reserved 20; a
  // release (operation 8) gives the 20 back and they lapse at once.
  Ledger l;
  l.Append(EntryType::kExpiration, -60, 1, 7);
  l.Append(EntryType::kExpiration, -20, 1, 8);
  l.wallet.balance = -5;
  l.wallet.last_seq = 7;
  l.wallet.last_hash = l.hashes.back();
  l.grants[0].remaining = 0;
  l.grants[0].expired_amount = 80;
  l.grants[0].expired_at = 5000;
  l.grants[0].open = false;
  EXPECT_EQ(l.Problems(), Codes{"expired_twice"});
  l.returning = {8};  // operation 8 is a release
  EXPECT_EQ(l.Problems(), Codes{});
  l.grants[0].expired_amount = 60;  // its lapse still counts in the total
  EXPECT_EQ(l.Problems(), Codes{"lapsed_mismatch"});
}

TEST(WalletAuditor, ACatchUpTimingAHoldOutAtTheLapseExpiresOnce) {
  // One catch-up (operation 7) times a hold of 20 out at the instant its
  // block lapses: the 20 given back leave (seq 6, "hold expired"), then the
  // 60 free lapse (seq 7), both in the same operation.
  Ledger l;
  l.Append(EntryType::kExpiration, -20, 1, 7);
  l.Append(EntryType::kExpiration, -60, 1, 7);
  l.wallet.balance = -5;
  l.wallet.last_seq = 7;
  l.wallet.last_hash = l.hashes.back();
  l.grants[0].remaining = 0;
  l.grants[0].expired_amount = 80;
  l.grants[0].expired_at = 5000;
  l.grants[0].open = false;
  // One operation's lapse entries on one block are one lapse (a rollover
  // writes its pair and the expiration of the rest the same way), marked
  // or not.
  EXPECT_EQ(l.Problems(), Codes{});
  l.returning_entries = {6};
  EXPECT_EQ(l.Problems(), Codes{});
  // Marking the whole operation would hide the block's own lapse.
  l.returning_entries = {};
  l.returning = {7};
  EXPECT_EQ(l.Problems(), Codes{"lifecycle_mismatch"});
}

TEST(WalletAuditor, BlocksOpenWithAGrantAdjustmentOrReversalEntry) {
  Ledger l;
  l.grants.push_back({3, 10, 10});
  l.grants.push_back({4, 7, 7});
  l.Append(EntryType::kAdjustment, 10, 3, 5);  // a positive adjustment block
  l.Append(EntryType::kReversal, 7, 4, 6);     // a block restoring repaid debt
  l.wallet.balance = 92;
  l.wallet.last_seq = 7;
  l.wallet.last_hash = l.hashes.back();
  EXPECT_EQ(l.Problems(), Codes{});

  l.Append(EntryType::kGrant, 1, 3, 7);  // a second grant entry on block 3
  l.grants[2] = {3, 10, 11};
  l.wallet.balance = 93;
  l.wallet.last_seq = 8;
  l.wallet.last_hash = l.hashes.back();
  const Codes codes = l.Problems();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "grant_entry_mismatch"), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "amount_sign"), 1);
}

TEST(WalletAuditor, OnlyDebtMovementsGoWithoutAGrant) {
  Ledger l;
  l.Append(EntryType::kRepayment, 5, std::nullopt, 5);    // debt repaid ...
  l.Append(EntryType::kRepayment, -5, 1, 5);              // ... by grant 1
  l.Append(EntryType::kExpiration, -1, std::nullopt, 6);  // never valid
  l.wallet.balance = 74;
  l.wallet.debt = 1;
  l.wallet.last_seq = 8;
  l.wallet.last_hash = l.hashes.back();
  l.grants[0].remaining = 75;
  EXPECT_EQ(l.Problems(), Codes{"amount_sign"});
}

// Found by fuzz/audit_fuzz: a tampered seq of INT64_MAX followed by another
// entry made the gap check compute INT64_MAX + 1 (undefined behaviour; caught
// by UBSan in the sanitizer build).
TEST(WalletAuditor, SeqAtInt64MaxIsAGapNotAnOverflow) {
  Ledger l;
  l.entries[3].seq = INT64_MAX;
  l.hashes[3] = ChainHash(l.hashes[2], l.entries[3]);
  l.hashes[4] = ChainHash(l.hashes[3], l.entries[4]);
  l.wallet.last_hash = l.hashes[4];
  const Codes codes = l.Problems();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "seq_gap"), 2);
}

// Found by fuzz/audit_fuzz: ten tampered debt entries of -(10^18 - 1) each
// saturate the debt sum at INT64_MIN, and Finish negated it (undefined
// behaviour; caught by UBSan in the sanitizer build).
TEST(WalletAuditor, SaturatedDebtSumIsAMismatchNotAnOverflow) {
  Ledger l;
  constexpr std::int64_t kMax = 999999999999999999;
  for (int i = 0; i < 10; ++i) {  // each debt entry offset by a grant entry
    l.Append(EntryType::kGrant, kMax, 1, 9);
    l.Append(EntryType::kUsage, -kMax, std::nullopt, 9);
  }
  l.wallet.last_seq = static_cast<std::int64_t>(l.entries.size());
  l.wallet.last_hash = l.hashes.back();
  const Codes codes = l.Problems();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "debt_mismatch"), 1);
}

// The grants table's CHECK predicates: the direct writes do not evaluate
// them, so credit_verify does.
TEST(WalletAuditor, GrantCheckPredicates) {
  auto codes_after = [](auto tamper) {
    Ledger l;
    tamper(l.grants[0]);
    return l.Problems();
  };
  const Codes constraint{"grant_constraint"};
  EXPECT_EQ(codes_after([](AuditGrant& g) { g.priority = -1; }), constraint);
  EXPECT_EQ(codes_after([](AuditGrant& g) { g.cost_basis = "-0.5"; }),
            constraint);
  EXPECT_EQ(codes_after([](AuditGrant& g) { g.cost_basis = "0"; }), Codes{});
  EXPECT_EQ(codes_after([](AuditGrant& g) { g.kind = "gift"; }), constraint);
  EXPECT_EQ(codes_after([](AuditGrant& g) { g.kind = "topup"; }), Codes{});
  EXPECT_EQ(codes_after([](AuditGrant& g) { g.expires_at = g.effective_at; }),
            constraint);
  EXPECT_EQ(
      codes_after([](AuditGrant& g) { g.expires_at = g.effective_at + 1; }),
      Codes{});
  // amount <= 0 also breaks the entries' agreement and the remaining range.
  const Codes amount = codes_after([](AuditGrant& g) { g.amount = 0; });
  EXPECT_EQ(std::count(amount.begin(), amount.end(), "grant_constraint"), 1);
}

TEST(WalletAuditor, OpenFlagMustMatchRemainingAndLifecycle) {
  Ledger l;
  l.grants[0].open = false;  // 80 left, unspendable
  EXPECT_EQ(l.Problems(), Codes{"open_mismatch"});
  l.grants[0].open.reset();  // not read: not compared
  EXPECT_EQ(l.Problems(), Codes{});
  Ledger empty;
  empty.grants[1].open = true;  // 0 left, yet offered to the drawdown
  EXPECT_EQ(empty.Problems(), Codes{"open_mismatch"});
  Ledger voided;
  voided.Lapse(EntryType::kVoid, 0, 7);
  EXPECT_EQ(voided.Problems(), Codes{});
  voided.grants[0].open = true;
  EXPECT_EQ(voided.Problems(), Codes{"open_mismatch"});
}

TEST(WalletAuditor, VoidedAtAndExpiredAtMatchTheEntries) {
  Ledger voided;
  voided.Lapse(EntryType::kVoid, 0, 7);
  voided.grants[0].voided_at.reset();
  EXPECT_EQ(voided.Problems(), Codes{"lifecycle_mismatch"});
  Ledger expired;
  expired.Lapse(EntryType::kExpiration, 0, 7);
  EXPECT_EQ(expired.Problems(), Codes{});
  expired.grants[0].expired_at.reset();
  EXPECT_EQ(expired.Problems(), Codes{"lifecycle_mismatch"});
  // An expired_at without the sweep's entry; a voided_at without one is
  // fine (voiding an empty block writes none).
  Ledger marked;
  marked.grants[1].expired_at = 5000;
  EXPECT_EQ(marked.Problems(), Codes{"lifecycle_mismatch"});
  marked.grants[1].expired_at.reset();
  marked.grants[1].voided_at = 5000;
  EXPECT_EQ(marked.Problems(), Codes{});
  Ledger left;
  left.grants[0].voided_at = 5000;  // voided, yet 80 left (and closed)
  left.grants[0].open = false;
  EXPECT_EQ(left.Problems(), Codes{"lifecycle_mismatch"});
  marked.grants[1].expired_at = 5000;  // both: void refuses expired blocks
  EXPECT_EQ(marked.Problems(),
            (Codes{"lifecycle_mismatch", "lifecycle_mismatch"}));
}

TEST(WalletAuditor, WalletCheckPredicates) {
  Ledger l;
  l.wallet.overdraft_limit = "-1.00";
  EXPECT_EQ(l.Problems(), Codes{"wallet_constraint"});
  l.wallet.overdraft_limit = "0";
  EXPECT_EQ(l.Problems(), Codes{});
  l.wallet.overdraft_limit.reset();  // NULL: no limit
  EXPECT_EQ(l.Problems(), Codes{});
  l.wallet.debt = -5;
  const Codes codes = l.Problems();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "wallet_constraint"), 1);
}

// What credit_verify reports outside a wallet's audit (10_verify shows each
// in SQL): codes are stable, details sentences.
TEST(VerifyProblems, OutsideTheWalletAudit) {
  Problem p = UnknownCreditType("eur");
  EXPECT_EQ(p.problem, "unknown_credit_type");
  EXPECT_EQ(p.detail, "The wallet's credit type \"eur\" does not exist.");
  p = UnreadableRow("amount has too many decimals");
  EXPECT_EQ(p.problem, "unreadable_row");
  EXPECT_EQ(p.detail, "amount has too many decimals");
  p = Orphan(OrphanKind::kGrant, 12);
  EXPECT_EQ(p.problem, "orphan_grant");
  EXPECT_EQ(p.detail, "Grant 12 belongs to no wallet.");
  p = Orphan(OrphanKind::kEntry, 9000000000);
  EXPECT_EQ(p.problem, "orphan_entry");
  EXPECT_EQ(p.detail, "Entry 9000000000 belongs to no wallet.");
}

}  // namespace
}  // namespace credit_ledger
