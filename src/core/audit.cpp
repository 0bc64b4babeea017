#include "audit.hpp"

#include "amount.hpp"

#include <cstdint>
#include "cpp_only.hpp"  // last: fails if a PostgreSQL header came before

namespace credit_ledger {
namespace {

// The sign each entry type must carry; 0 means either sign but not zero.
int ExpectedSign(EntryType type, bool has_grant) {
  switch (type) {
    case EntryType::kGrant:
    case EntryType::kReversal:
      return 1;
    case EntryType::kUsage:
    case EntryType::kExpiration:
    case EntryType::kVoid:
      return -1;
    case EntryType::kRepayment:
      return has_grant ? -1 : 1;
    case EntryType::kAdjustment:
      return 0;
  }
  return 0;
}

std::string Seq(std::int64_t seq) { return "entry seq " + std::to_string(seq); }

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
    Report("seq_gap", "Expected seq " + SeqAfter(last_seq_) +
                          " but found " + std::to_string(e.seq) + ".");
  }
  last_seq_ = e.seq;

  // Chain on the stored previous hash so one altered entry is reported once.
  if (ChainHash(last_hash_, e) != stored_hash) {
    Report("hash_mismatch",
           "The hash of " + Seq(e.seq) +
               " does not match its content and the previous entry's hash.");
  }
  last_hash_ = stored_hash;

  const int sign = ExpectedSign(e.type, e.grant_id.has_value());
  if (e.amount == 0 || (sign > 0 && e.amount < 0) || (sign < 0 && e.amount > 0)) {
    Report("amount_sign", "The " + std::string(EntryTypeName(e.type)) +
                              " amount of " + Seq(e.seq) + " is " +
                              Units(e.amount) + ".");
  }

  SaturatingAdd(sum_, e.amount);
  SaturatingAdd(balance_, e.amount);
  if (e.balance_after != balance_) {
    Report("balance_after_mismatch",
           "The balance_after of " + Seq(e.seq) + " is " +
               Units(e.balance_after) + " but the entries sum to " +
               Units(balance_) + ".");
    balance_ = e.balance_after;  // resynchronise: report each break once
  }

  if (!e.grant_id) {
    SaturatingAdd(debt_entries_, e.amount);
    if (debt_entries_ > 0) {
      Report("negative_debt", "At " + Seq(e.seq) + " the debt entries sum to " +
                                  Units(debt_entries_) + ", more than zero.");
    }
    return;
  }
  auto it = grants_.find(*e.grant_id);
  if (it == grants_.end()) {
    Report("unknown_grant", Seq(e.seq) + " refers to grant " +
                                std::to_string(*e.grant_id) +
                                ", which is not in this wallet.");
    return;
  }
  Tally& t = it->second;
  SaturatingAdd(t.sum, e.amount);
  if (e.type == EntryType::kGrant) {
    ++t.grant_entries;
    SaturatingAdd(t.granted, e.amount);
  } else if (e.type == EntryType::kReversal) {
    t.reversal_operations.insert(e.operation_id);
  } else if (e.type == EntryType::kExpiration) {
    t.expiration_operations.push_back(e.operation_id);
  } else if (e.type == EntryType::kVoid) {
    t.void_operations.push_back(e.operation_id);
  }
  if (t.sum < 0 || t.sum > t.grant.amount) {
    Report("remaining_out_of_range",
           "After " + Seq(e.seq) + " grant " + std::to_string(t.grant.grant_id) +
               " would hold " + Units(t.sum) + " of " + Units(t.grant.amount) +
               ".");
  }
}

std::vector<Problem> WalletAuditor::Finish(const AuditWallet& w) {
  if (w.last_seq != last_seq_) {
    Report("seq_mismatch", "The wallet's last seq is " +
                               std::to_string(w.last_seq) +
                               " but its entries end at " +
                               std::to_string(last_seq_) + ".");
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
  // Not a structured binding: C++17 lets no lambda capture one, and clang
  // (the fuzz build) enforces that.
  for (const auto& id_and_tally : grants_) {
    const Tally& t = id_and_tally.second;
    const std::string grant = "Grant " + std::to_string(id_and_tally.first);
    if (t.grant_entries != 1 || t.granted != t.grant.amount) {
      Report("grant_entry_mismatch",
             grant + " has " + std::to_string(t.grant_entries) +
                 " grant entries for " + Units(t.granted) + " but an amount of " +
                 Units(t.grant.amount) + ".");
    }
    if (t.grant.remaining != t.sum) {
      Report("remaining_mismatch", grant + " has " + Units(t.grant.remaining) +
                                       " remaining but its entries sum to " +
                                       Units(t.sum) + ".");
    }
    if (t.grant.remaining < 0 || t.grant.remaining > t.grant.amount) {
      Report("remaining_out_of_range", grant + " has " +
                                           Units(t.grant.remaining) +
                                           " remaining of " +
                                           Units(t.grant.amount) + ".");
    }
    // Restored credit that lapses at once is written by the reversal itself;
    // any other expiration or void of a grant may happen only once.
    auto count_lifecycle = [&](const std::vector<std::int64_t>& ops) {
      int n = 0;
      for (std::int64_t op : ops) n += t.reversal_operations.count(op) == 0;
      return n;
    };
    if (count_lifecycle(t.expiration_operations) > 1) {
      Report("expired_twice", grant + " was expired more than once.");
    }
    if (count_lifecycle(t.void_operations) > 1) {
      Report("voided_twice", grant + " was voided more than once.");
    }
  }
  return std::move(problems_);
}

}  // namespace credit_ledger
