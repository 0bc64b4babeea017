#include "audit.hpp"

#include "catch_up.hpp"

#include "amount.hpp"
#include "grant.hpp"
#include "time.hpp"

#include <cstdint>
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// Whether `type` may move credits of a grant (opening it or not) or of the
// debt, and with which sign (+1 or -1).
int ExpectedSign(EntryType type, bool on_grant, bool opening) {
  if (!on_grant) {
    switch (type) {
    case EntryType::kUsage:
    case EntryType::kAdjustment:
      return -1;  // usage or a negative adjustment no grant covered
    case EntryType::kRepayment:
    case EntryType::kReversal:
      return 1;  // debt repaid, or a reversed debt portion
    default:
      return 0;  // never without a grant
    }
  }
  if (opening) {
    // A block opens with its grant, adjustment or reversal entry.
    // A rolled-over block opens with its + rollover entry.
    return type == EntryType::kGrant || type == EntryType::kAdjustment ||
                   type == EntryType::kReversal || type == EntryType::kRollover
               ? 1
               : 0;
  }
  switch (type) {
  case EntryType::kReversal:
    return 1;
  case EntryType::kUsage:
  case EntryType::kAdjustment:
  case EntryType::kExpiration:
  case EntryType::kVoid:
  case EntryType::kRepayment:
  case EntryType::kRollover:  // the lapsing block's side of a rollover
    return -1;
  case EntryType::kGrant:      // a block has one grant entry, its first
  case EntryType::kAmendment:  // moves no credit (amount 0; see Add)
    return 0;
  }
  return 0;
}

std::string Seq(std::int64_t seq) {
  return "entry seq " + std::to_string(seq);
}

// The seq that must follow `seq`, as text: a tampered seq may be INT64_MAX,
// whose successor no int64 holds.
std::string SeqAfter(std::int64_t seq) {
  return seq == INT64_MAX ? "9223372036854775808" : std::to_string(seq + 1);
}

// Sums that a tampered ledger could push past int64 saturate instead of
// overflowing; the entry's own range check reports the tampering.
void SaturatingAdd(std::int64_t& acc, std::int64_t value) {
  if (__builtin_add_overflow(acc, value, &acc)) {
    acc = value > 0 ? INT64_MAX : INT64_MIN;
  }
}

// -value, saturating like the sums: a tampered ledger can drive a sum to
// INT64_MIN, whose negation no int64 holds.
std::int64_t SaturatingNegate(std::int64_t value) {
  return value == INT64_MIN ? INT64_MAX : -value;
}

// Whether a numeric as PostgreSQL prints it is below zero (it never prints
// "-0").
bool Negative(const std::optional<std::string>& numeric) {
  return numeric && !numeric->empty() && (*numeric)[0] == '-';
}

// How many of `ops` are not also a reversal operation: a reversal writes the
// expiration or void of credit it restores to a lapsed grant itself.
int CountOutsideReversals(const std::vector<std::int64_t>& ops,
                          const std::set<std::int64_t>& reversals) {
  int n = 0;
  for (std::int64_t op : ops) n += reversals.count(op) == 0;
  return n;
}

}  // namespace

WalletAuditor::WalletAuditor(int scale, const std::vector<AuditGrant>& grants)
    : scale_(scale) {
  for (const AuditGrant& g : grants) grants_[g.grant_id].grant = g;
}

std::string WalletAuditor::Units(std::int64_t units) const {
  return FormatAmount(units, scale_);
}

void WalletAuditor::Report(std::string problem, std::string detail) {
  problems_.push_back(Problem{std::move(problem), std::move(detail)});
}

void WalletAuditor::Add(const EntryRecord& e, const Digest& stored_hash) {
  if (last_seq_ == INT64_MAX || e.seq != last_seq_ + 1) {
    Report("seq_gap", "Expected seq " + SeqAfter(last_seq_) + " but found " +
                          std::to_string(e.seq) + ".");
  }
  last_seq_ = e.seq;

  // Chain on the stored previous hash so one altered entry is reported once.
  if (ChainHash(last_hash_, e) != stored_hash) {
    Report("hash_mismatch",
           "The hash of " + Seq(e.seq) +
               " does not match its content and the previous entry's hash.");
  }
  last_hash_ = stored_hash;

  SaturatingAdd(sum_, e.amount);
  SaturatingAdd(balance_, e.amount);
  if (e.balance_after != balance_) {
    Report("balance_after_mismatch", "The balance_after of " + Seq(e.seq) +
                                         " is " + Units(e.balance_after) +
                                         " but the entries sum to " +
                                         Units(balance_) + ".");
    balance_ = e.balance_after;  // resynchronise: report each break once
  }

  auto it = e.grant_id ? grants_.find(*e.grant_id) : grants_.end();
  if (e.grant_id && it == grants_.end()) {
    Report("unknown_grant", Seq(e.seq) + " refers to grant " +
                                std::to_string(*e.grant_id) +
                                ", which is not in this wallet.");
    return;
  }
  const bool opening = e.grant_id && !it->second.opened;
  const int sign = ExpectedSign(e.type, e.grant_id.has_value(), opening);
  // An amendment (1.2) records a changed expiry or priority of an opened
  // block and moves nothing: amount 0 is its only valid amount.
  const bool amendment_ok = e.type == EntryType::kAmendment && e.amount == 0 &&
                            e.grant_id && !opening;
  if (amendment_ok) return;
  if (sign == 0 || e.amount == 0 || (sign > 0) != (e.amount > 0)) {
    Report("amount_sign",
           "The " + std::string(EntryTypeName(e.type)) + " amount of " +
               Seq(e.seq) + " is " + Units(e.amount) +
               (e.grant_id ? (opening ? ", opening grant " : " on grant ") +
                                 std::to_string(*e.grant_id)
                           : std::string(" on the debt")) +
               ".");
  }

  if (!e.grant_id) {
    SaturatingAdd(debt_entries_, e.amount);
    if (debt_entries_ > 0) {
      Report("negative_debt", "At " + Seq(e.seq) + " the debt entries sum to " +
                                  Units(debt_entries_) + ", more than zero.");
    }
    return;
  }
  AddToGrant(e, it->second);
}

void WalletAuditor::AddToGrant(const EntryRecord& e, Tally& t) {
  if (!t.opened) {
    t.opened = true;
    t.opening_amount = e.amount;
  } else if (e.type == EntryType::kGrant) {
    ++t.extra_grant_entries;
  }
  SaturatingAdd(t.sum, e.amount);
  if (returning_.count(e.operation_id) != 0) {
    t.reversal_operations.insert(e.operation_id);
  }
  // Held credit given back that lapses again at once is no second lapse.
  const bool returned = returning_entries_.count(e.seq) != 0;
  if (e.type == EntryType::kReversal) {
    t.reversal_operations.insert(e.operation_id);
  } else if (e.type == EntryType::kExpiration ||
             (e.type == EntryType::kRollover && e.amount < 0)) {
    // A lapse: its expiration, or the lapsing block's side of a rollover
    // (the rest of a lapse that rolled over, in the same operation).
    if (!returned && (t.expiration_operations.empty() ||
                      t.expiration_operations.back() != e.operation_id)) {
      t.expiration_operations.push_back(e.operation_id);
    }
    if (e.type == EntryType::kExpiration) SaturatingAdd(t.expired, -e.amount);
  } else if (e.type == EntryType::kVoid) {
    if (!returned) t.void_operations.push_back(e.operation_id);
    SaturatingAdd(t.voided, -e.amount);
  }
  if (t.sum < 0 || t.sum > t.grant.amount) {
    Report("remaining_out_of_range", "After " + Seq(e.seq) + " grant " +
                                         std::to_string(t.grant.grant_id) +
                                         " would hold " + Units(t.sum) +
                                         " of " + Units(t.grant.amount) + ".");
  }
}

// The grants table's CHECK constraints, which the direct writes do not
// evaluate, and its lifecycle columns against the grant's entries.
void WalletAuditor::CheckGrantRow(const Tally& t) {
  const AuditGrant& g = t.grant;
  const std::string grant = "Grant " + std::to_string(g.grant_id);
  auto broken = [&](const std::string& check, const std::string& found) {
    Report("grant_constraint",
           grant + " breaks CHECK (" + check + "): " + found + ".");
  };
  if (g.amount <= 0) broken("amount > 0", "its amount is " + Units(g.amount));
  if (g.priority < 0) {
    broken("priority >= 0", "its priority is " + std::to_string(g.priority));
  }
  if (Negative(g.cost_basis)) {
    broken("cost_basis >= 0", "its cost_basis is " + *g.cost_basis);
  }
  if (g.expires_at && *g.expires_at <= g.effective_at) {
    broken("expires_at > effective_at",
           "it expires at " + FormatTimestampUtc(*g.expires_at) +
               " and starts at " + FormatTimestampUtc(g.effective_at));
  }
  if (g.kind != "grant" && g.kind != "adjustment" && g.kind != "reversal" &&
      g.kind != "recurring" && g.kind != "rollover" && g.kind != "topup") {
    broken("kind IN ('grant', 'adjustment', 'reversal', 'recurring', "
           "'rollover', 'topup')",
           "its kind is \"" + g.kind + "\"");
  }
  const bool open =
      IsBlockOpen(g.remaining, g.held, g.entered, g.voided_at.has_value(),
                  g.expired_at.has_value(), g.canceled);
  if (g.open && *g.open != open) {
    Report("open_mismatch", grant + " is marked " +
                                (*g.open ? "open" : "closed") + " but has " +
                                Units(g.remaining) + " remaining" +
                                (g.voided_at ? ", voided" : "") +
                                (g.expired_at ? ", expired" : "") + ".");
  }
  // A void and the sweep take all that is left, and credit a reversal
  // restores to a lapsed block lapses at once.
  if ((g.voided_at || g.expired_at) && g.remaining != 0) {
    Report("lifecycle_mismatch",
           grant + " is " + (g.voided_at ? "voided" : "expired") + " but has " +
               Units(g.remaining) + " remaining.");
  }
  if (g.voided_at && g.expired_at) {
    Report("lifecycle_mismatch", grant + " has both voided_at and expired_at.");
  }
  if (!t.void_operations.empty() && !g.voided_at) {
    Report("lifecycle_mismatch", grant + " has void entries but no voided_at.");
  }
  const int sweeps =
      CountOutsideReversals(t.expiration_operations, t.reversal_operations);
  if (sweeps > 0 && !g.expired_at) {
    Report("lifecycle_mismatch",
           grant + " has expiration entries but no expired_at.");
  }
  // The sweep expires only blocks with credit left, so it always writes an
  // entry; a void of an empty block writes none.
  if (g.expired_at && sweeps == 0) {
    Report("lifecycle_mismatch",
           grant + " has an expired_at but no expiration entry.");
  }
}

void WalletAuditor::CheckWalletRow(const AuditWallet& w) {
  if (w.debt < 0) {
    Report("wallet_constraint",
           "The wallet breaks CHECK (debt >= 0): its debt is " + Units(w.debt) +
               ".");
  }
  if (Negative(w.overdraft_limit)) {
    Report(
        "wallet_constraint",
        "The wallet breaks CHECK (overdraft_limit >= 0): its overdraft_limit "
        "is " +
            *w.overdraft_limit + ".");
  }
}

std::vector<Problem> WalletAuditor::Finish(const AuditWallet& w) {
  CheckWalletRow(w);
  CheckTotals(w);
  if (w.tracks_latest_effective) CheckLatestEffective(w);
  if (w.tracks_holds) CheckHeld(w);
  if (w.tracks_topup) CheckTopup(w);
  for (const auto& [grant_id, tally] : grants_) {
    CheckGrant(grant_id, tally);
    CheckGrantRow(tally);
  }
  return std::move(problems_);
}

void WalletAuditor::CheckTotals(const AuditWallet& w) {
  if (w.last_seq != last_seq_) {
    Report("seq_mismatch",
           "The wallet's last seq is " + std::to_string(w.last_seq) +
               " but its entries end at " + std::to_string(last_seq_) + ".");
  }
  if (w.last_hash != last_hash_) {
    Report("hash_mismatch",
           "The wallet's last hash does not match its newest entry.");
  }
  if (w.balance != sum_) {
    Report("balance_mismatch", "The wallet's balance is " + Units(w.balance) +
                                   " but its entries sum to " + Units(sum_) +
                                   ".");
  }
  const std::int64_t entries_debt = SaturatingNegate(debt_entries_);
  if (w.debt != entries_debt) {
    Report("debt_mismatch", "The wallet's debt is " + Units(w.debt) +
                                " but its debt entries sum to " +
                                Units(entries_debt) + ".");
  }
}

// The hot path trusts the wallet's sums over its active holds.
void WalletAuditor::CheckHeld(const AuditWallet& w) {
  if (w.held != w.holds_held || w.held_overdraft != w.holds_overdraft) {
    Report("held_mismatch",
           "The wallet records " + Units(w.held) + " held (" +
               Units(w.held_overdraft) +
               " against the overdraft allowance) but its active holds "
               "reserve " +
               Units(w.holds_held) + " (" + Units(w.holds_overdraft) + ").");
  }
}

// The automatic top-up asks only while no top-up waits (DecideTopup), and
// confirming or canceling the one it names settles it: the wallet's
// topup_pending_grant_id names a pending top-up block of the wallet, and
// no other pending top-up block exists.
void WalletAuditor::CheckTopup(const AuditWallet& w) {
  const auto waits = [](const AuditGrant& g) {
    return g.kind == "topup" && g.pending && !g.canceled;
  };
  if (w.topup_pending) {
    const std::string named = "grant " + std::to_string(*w.topup_pending);
    const auto it = grants_.find(*w.topup_pending);
    if (it == grants_.end()) {
      Report("topup_pending_mismatch", "The wallet's pending top-up is " +
                                           named +
                                           ", which is not one of its blocks.");
    } else if (!waits(it->second.grant)) {
      Report("topup_pending_mismatch",
             "The wallet's pending top-up is " + named +
                 ", which is not a top-up block waiting for payment.");
    }
  }
  for (const auto& [grant_id, tally] : grants_) {
    if (!waits(tally.grant) || w.topup_pending == grant_id) continue;
    Report("topup_pending_mismatch",
           "Grant " + std::to_string(grant_id) +
               " is a top-up block waiting for payment, but the wallet's "
               "pending top-up is " +
               (w.topup_pending ? "grant " + std::to_string(*w.topup_pending)
                                : std::string("none")) +
               ".");
  }
}

// The balance shortcut trusts latest_effective_at to bound every block's
// start: a block starting later could be counted before it starts.
void WalletAuditor::CheckLatestEffective(const AuditWallet& w) {
  for (const auto& id_and_tally : grants_) {
    const AuditGrant& g = id_and_tally.second.grant;
    if (!w.latest_effective_at || g.effective_at > *w.latest_effective_at) {
      Report("latest_effective_behind",
             "Grant " + std::to_string(g.grant_id) + " starts at " +
                 FormatTimestampUtc(g.effective_at) +
                 ", after the wallet's latest_effective_at (" +
                 (w.latest_effective_at
                      ? FormatTimestampUtc(*w.latest_effective_at)
                      : std::string("none")) +
                 ").");
    }
  }
}

void WalletAuditor::CheckGrant(std::int64_t grant_id, const Tally& t) {
  const std::string grant = "Grant " + std::to_string(grant_id);
  // A block not entered yet (1.2: scheduled or pending) has no entries.
  if (!t.grant.entered) {
    if (t.opened) {
      Report("grant_entry_mismatch",
             grant + " has entries but has not entered the ledger.");
    }
    return;
  }
  if (!t.opened) {
    Report("grant_entry_mismatch", grant + " has no entries.");
  } else if (t.opening_amount != t.grant.amount) {
    Report("grant_entry_mismatch",
           grant + " opens with " + Units(t.opening_amount) +
               " but its amount is " + Units(t.grant.amount) + ".");
  }
  if (t.extra_grant_entries > 0) {
    Report("grant_entry_mismatch",
           grant + " has " + std::to_string(t.extra_grant_entries + 1) +
               " grant entries; a block has exactly one.");
  }
  if (t.expired != t.grant.expired_amount ||
      t.voided != t.grant.voided_amount) {
    Report("lapsed_mismatch",
           grant + " records " + Units(t.grant.expired_amount) +
               " expired and " + Units(t.grant.voided_amount) +
               " voided, but its entries say " + Units(t.expired) + " and " +
               Units(t.voided) + ".");
  }
  if (AddUnits(t.grant.remaining, t.grant.held) != t.sum) {
    Report("remaining_mismatch",
           grant + " has " + Units(t.grant.remaining) + " remaining" +
               (t.grant.held != 0 ? " and " + Units(t.grant.held) + " held"
                                  : std::string()) +
               " but its entries sum to " + Units(t.sum) + ".");
  }
  if (t.grant.remaining < 0 || t.grant.remaining > t.grant.amount) {
    Report("remaining_out_of_range",
           grant + " has " + Units(t.grant.remaining) + " remaining of " +
               Units(t.grant.amount) + ".");
  }
  // Restored credit that lapses at once is written by the reversal itself;
  // any other expiration or void of a grant may happen only once.
  if (CountOutsideReversals(t.expiration_operations, t.reversal_operations) >
      1) {
    Report("expired_twice", grant + " was expired more than once.");
  }
  if (CountOutsideReversals(t.void_operations, t.reversal_operations) > 1) {
    Report("voided_twice", grant + " was voided more than once.");
  }
}

Problem UnknownCreditType(const std::string& credit_type) {
  return Problem{"unknown_credit_type", "The wallet's credit type \"" +
                                            credit_type + "\" does not exist."};
}

Problem UnreadableRow(const std::string& message) {
  return Problem{"unreadable_row", message};
}

Problem Orphan(OrphanKind kind, std::int64_t id) {
  const std::string n = std::to_string(id);
  if (kind == OrphanKind::kGrant) {
    return Problem{"orphan_grant", "Grant " + n + " belongs to no wallet."};
  }
  return Problem{"orphan_entry", "Entry " + n + " belongs to no wallet."};
}

}  // namespace credit_ledger
