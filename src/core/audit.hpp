// Recomputes a wallet's invariants from its ledger entries alone and reports
// every disagreement with what the tables cache (credit_verify's engine).
#pragma once

#include "entry.hpp"
#include "sha256.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace credit_ledger {

// A grant as stored in credit_ledger.grants (amounts in units).
struct AuditGrant {
  std::int64_t grant_id = 0;
  std::int64_t amount = 0;
  std::int64_t remaining = 0;
  std::int64_t expired_amount = 0;  // credits its expiration entries removed
  std::int64_t voided_amount = 0;   // credits its void entries removed
  Micros effective_at = 0;
  // The rest of the row, for its CHECK predicates and lifecycle columns.
  std::int64_t priority = 0;
  std::optional<std::string> cost_basis{};  // numeric as PostgreSQL prints it
  std::optional<Micros> expires_at{};
  std::optional<Micros> voided_at{};
  std::optional<Micros> expired_at{};
  std::string kind = "grant";
  // The stored open flag; nullopt when the caller did not read it (then the
  // flag is not compared with remaining, voided_at and expired_at).
  std::optional<bool> open{};
  // 1.2 (as 1.1 rows read: entered, nothing held, never canceled): whether
  // its grant entry is written (a scheduled or pending block has none), what
  // active holds reserve from it (its entries sum to remaining + held).
  bool entered = true;
  std::int64_t held = 0;
  bool canceled = false;
  bool pending = false;  // waits for credit_grant_confirm
};

// A wallet's cached totals as stored in credit_ledger.wallets.
struct AuditWallet {
  std::int64_t balance = 0;
  std::int64_t debt = 0;
  std::int64_t last_seq = 0;
  Digest last_hash = kGenesisHash;
  // The latest effective_at of its blocks (nullopt: it never had one); not
  // tracked on a 1.0 schema, which lacks the column.
  bool tracks_latest_effective = false;
  std::optional<Micros> latest_effective_at;
  // NULL means no limit; numeric as PostgreSQL prints it.
  std::optional<std::string> overdraft_limit{};
  // 1.2: the cached sums over the wallet's active holds, and the same sums
  // computed from the holds (status held); not tracked before 1.2.
  bool tracks_holds = false;
  std::int64_t held = 0;
  std::int64_t held_overdraft = 0;
  std::int64_t holds_held = 0;
  std::int64_t holds_overdraft = 0;
  // 1.2, automatic top-up: the block topup_pending_grant_id names (nullopt:
  // none); not tracked before 1.2.
  bool tracks_topup = false;
  std::optional<std::int64_t> topup_pending;
};

struct Problem {
  std::string problem;  // a stable snake_case code
  std::string detail;   // a sentence for people
};

class WalletAuditor {
 public:
  WalletAuditor(int scale, const std::vector<AuditGrant>& grants);

  // Feeds the wallet's entries in seq order, each with the hash stored on it.
  void Add(const EntryRecord& entry, const Digest& stored_hash);

  // Marks operation `operation_id` as one that gives held credit back (a
  // capture or release of a hold, 1.2): like a reversal, it writes the
  // expiration or void of credit it returns to a lapsed or voided block
  // itself, so that is no second expiry or void. Call before its entries.
  void ReturnsHeldCredit(std::int64_t operation_id) {
    returning_.insert(operation_id);
  }
  // Marks the one entry `seq` as such, where its operation writes other
  // lapses too: a catch-up's "hold expired" entries (a timed-out hold's
  // credit leaving the lapsed or voided block it went back to), which may
  // share the operation with that block's own lapse. Call before it.
  void ReturnsHeldCreditEntry(std::int64_t seq) {
    returning_entries_.insert(seq);
  }

  // Compares the recomputed state with the cached one; empty means healthy.
  std::vector<Problem> Finish(const AuditWallet& wallet);

 private:
  struct Tally {
    AuditGrant grant;
    std::int64_t sum = 0;
    bool opened = false;  // its first entry was seen
    std::int64_t opening_amount = 0;
    int extra_grant_entries = 0;  // `grant` entries after the first
    std::int64_t expired = 0;
    std::int64_t voided = 0;
    std::set<std::int64_t> reversal_operations;
    std::vector<std::int64_t> expiration_operations;
    std::vector<std::int64_t> void_operations;
  };

  void Report(std::string problem, std::string detail);
  void CheckGrantRow(const Tally& tally);
  void CheckWalletRow(const AuditWallet& wallet);
  void AddToGrant(const EntryRecord& entry, Tally& tally);
  std::set<std::int64_t> returning_;          // ReturnsHeldCredit
  std::set<std::int64_t> returning_entries_;  // ReturnsHeldCreditEntry
  // Finish's checks: the wallet's cached totals, its latest_effective_at,
  // its holds' sums, its pending top-up, and each grant against its
  // entries.
  void CheckTotals(const AuditWallet& wallet);
  void CheckLatestEffective(const AuditWallet& wallet);
  void CheckHeld(const AuditWallet& wallet);
  void CheckTopup(const AuditWallet& wallet);
  void CheckGrant(std::int64_t grant_id, const Tally& tally);
  std::string Units(std::int64_t units) const;

  int scale_;
  std::map<std::int64_t, Tally> grants_;
  std::vector<Problem> problems_;
  std::int64_t last_seq_ = 0;
  std::int64_t sum_ = 0;           // the true sum of the entries
  std::int64_t balance_ = 0;       // the running balance_after, resynchronised
  std::int64_t debt_entries_ = 0;  // sum of entries without a grant
  Digest last_hash_ = kGenesisHash;
};

// The problems credit_verify reports outside a wallet's audit: a wallet
// whose credit type does not exist (nothing of it can be read), a stored
// value the ledger cannot read (`message`: why; e.g. more decimals than the
// scale), which is itself a finding and no reason to stop checking, and a
// grant or entry that belongs to no wallet.
Problem UnknownCreditType(const std::string& credit_type);
Problem UnreadableRow(const std::string& message);
enum class OrphanKind { kGrant, kEntry };
Problem Orphan(OrphanKind kind, std::int64_t id);

}  // namespace credit_ledger
