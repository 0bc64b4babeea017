// libFuzzer target for the ledger auditor behind credit_verify
// (src/core/audit.hpp).
//
// Two modes, chosen by the first decoded value:
//  - healthy: a wallet history is written the way the glue writes it (grants
//    that repay debt, consumes planned by PlanConsume with their debt usage,
//    expirations, voids, reversals of usage), chained with ChainHash. The
//    auditor must find nothing; then one stored value is altered (an entry
//    field, a stored hash, an entry dropped, duplicated or moved, a cached
//    wallet or grant value) and the auditor must report at least one problem.
//  - tampered: arbitrary rows, as a superuser with triggers disabled could
//    store them (any seq, any amount within what the glue can read, wild
//    operation ids). The auditor must neither crash nor invoke undefined
//    behaviour, and every problem it reports must be a known code with a
//    detail sentence.
#include "amount.hpp"
#include "audit.hpp"
#include "entry.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"
#include "plan.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace credit_ledger::fuzz {
namespace {

constexpr Micros kNow = 1000 * kMicrosPerDay;

// Every problem code WalletAuditor may report.
const std::set<std::string> kProblemCodes = {
    "seq_gap",
    "hash_mismatch",
    "amount_sign",
    "balance_after_mismatch",
    "negative_debt",
    "unknown_grant",
    "remaining_out_of_range",
    "seq_mismatch",
    "balance_mismatch",
    "debt_mismatch",
    "grant_entry_mismatch",
    "remaining_mismatch",
    "expired_twice",
    "voided_twice",
    "lapsed_mismatch",
    "latest_effective_behind",
    "grant_constraint",
    "wallet_constraint",
    "open_mismatch",
    "lifecycle_mismatch",
};

// A wallet's stored rows: what credit_verify reads.
struct StoredWallet {
  int scale = 0;
  std::vector<AuditGrant> grants;
  std::vector<EntryRecord> entries;
  std::vector<Digest> hashes;
  AuditWallet wallet;
};

// Runs the auditor over `w` and checks the shape of what it reports.
std::vector<Problem> Audit(const StoredWallet &w) {
  WalletAuditor auditor(w.scale, w.grants);
  for (std::size_t i = 0; i < w.entries.size(); ++i) {
    auditor.Add(w.entries[i], w.hashes[i]);
  }
  std::vector<Problem> problems = auditor.Finish(w.wallet);
  for (const Problem &p : problems) {
    CL_FUZZ_CHECK(kProblemCodes.count(p.problem) == 1);
    CL_FUZZ_CHECK(!p.detail.empty() && p.detail.back() == '.');
  }
  return problems;
}

// Writes a healthy history the way src/pg writes one.
class Writer {
public:
  explicit Writer(int scale) { stored_.scale = scale; }

  // credit_grant: the grant entry, then debt repaid from what is spendable.
  // Returns false when the glue would have refused it (nothing is written).
  bool Grant(std::int64_t amount, bool promotional, std::int32_t priority) {
    if (amount > kMaxUnits - std::max<std::int64_t>(balance_, 0))
      return false;
    GrantState g;
    g.grant_id = static_cast<std::int64_t>(stored_.grants.size()) + 1;
    g.priority = priority;
    g.promotional = promotional;
    g.remaining = amount;
    open_.push_back(g);
    ConsumePlan plan;
    if (debt_ > 0) {
      try {
        plan = PlanConsume(State(), kNow, 0);
      } catch (const LedgerError &e) {
        CL_FUZZ_CHECK(e.code() == ErrorCode::kOutOfRange);
        open_.pop_back();
        return false;
      }
    }
    const std::int64_t op = ++last_operation_;
    stored_.grants.push_back(AuditGrant{g.grant_id, amount, amount});
    Append(EntryType::kGrant, amount, g.grant_id, op);
    if (debt_ > 0) {
      Repay(plan, op);
      Settle(plan);
    }
    return true;
  }

  // credit_consume: repayment, usage per grant drawn, usage for the debt.
  // Returns false when the policy refused it (nothing is written).
  bool Consume(std::int64_t amount, std::optional<std::int64_t> limit) {
    WalletState state = State();
    state.policy.limit = limit;
    ConsumePlan plan;
    try {
      plan = PlanConsume(state, kNow, amount);
    } catch (const LedgerError &e) {
      CL_FUZZ_CHECK(e.code() == ErrorCode::kInsufficientCredits ||
                    e.code() == ErrorCode::kOutOfRange);
      return false;
    }
    const std::int64_t op = ++last_operation_;
    Repay(plan, op);
    Usage usage{op, {}};
    for (const Draw &d : plan.draws) {
      Append(EntryType::kUsage, -d.amount, open_[d.index].grant_id, op);
      usage.drawn.emplace_back(open_[d.index].grant_id, d.amount);
    }
    if (plan.uncovered > 0) {
      Append(EntryType::kUsage, -plan.uncovered, std::nullopt, op);
    }
    Settle(plan);
    usages_.push_back(std::move(usage));
    return true;
  }

  // credit_expire or credit_void of the open grant at `which`.
  void Close(std::size_t which, EntryType type) {
    if (open_.empty())
      return;
    GrantState &g = open_[which % open_.size()];
    if (g.remaining == 0)
      return; // nothing lapses; the sweep skips it
    Append(type, -g.remaining, g.grant_id, ++last_operation_);
    AuditGrant &stored = Stored(g.grant_id);
    (type == EntryType::kExpiration ? stored.expired_amount
                                    : stored.voided_amount) += g.remaining;
    (type == EntryType::kExpiration ? stored.expired_at : stored.voided_at) =
        last_operation_;  // any time: the audit checks that it is set
    g.remaining = 0;
    Remaining(g.grant_id) = 0;
    if (type == EntryType::kExpiration)
      expired_.insert(g.grant_id);
    open_.erase(open_.begin() +
                static_cast<std::ptrdiff_t>(which % open_.size()));
  }

  // credit_reverse of part of a usage drawn from a grant that was not
  // voided; restored credit of an expired grant lapses at once.
  void Reverse(std::size_t which, std::int64_t amount) {
    if (usages_.empty())
      return;
    Usage &u = usages_[which % usages_.size()];
    if (u.drawn.empty())
      return;
    const std::int64_t grant_id = u.drawn[which % u.drawn.size()].first;
    std::int64_t &left = u.drawn[which % u.drawn.size()].second;
    const bool expired = expired_.count(grant_id) == 1;
    auto open =
        std::find_if(open_.begin(), open_.end(), [&](const GrantState &g) {
          return g.grant_id == grant_id;
        });
    if (!expired && open == open_.end())
      return; // voided
    amount = std::min(amount, left);
    if (amount <= 0 || amount > kMaxUnits - balance_)
      return;
    left -= amount;
    const std::int64_t op = ++last_operation_;
    Append(EntryType::kReversal, amount, grant_id, op);
    if (expired) {
      Append(EntryType::kExpiration, -amount, grant_id, op);
      Stored(grant_id).expired_amount += amount;
    } else {
      open->remaining += amount;
      Remaining(grant_id) += amount;
    }
  }

  // The stored rows, with the wallet's cached totals.
  StoredWallet Finish() {
    stored_.wallet.balance = balance_;
    stored_.wallet.debt = debt_;
    stored_.wallet.last_seq = static_cast<std::int64_t>(stored_.entries.size());
    stored_.wallet.last_hash =
        stored_.hashes.empty() ? kGenesisHash : stored_.hashes.back();
    return stored_;
  }

  std::int64_t balance() const { return balance_; }
  std::int64_t debt() const { return debt_; }

private:
  struct Usage {
    std::int64_t operation_id;
    std::vector<std::pair<std::int64_t, std::int64_t>> drawn; // grant, left
  };

  WalletState State() const {
    WalletState state;
    state.grants = open_;
    state.debt = debt_;
    state.policy.limit.reset();
    state.scale = stored_.scale;
    return state;
  }

  AuditGrant &Stored(std::int64_t grant_id) {
    return stored_.grants[static_cast<std::size_t>(grant_id - 1)];
  }
  std::int64_t &Remaining(std::int64_t grant_id) {
    return Stored(grant_id).remaining;
  }

  // The grant is charged first, then the debt cleared (as src/pg does).
  void Repay(const ConsumePlan &plan, std::int64_t op) {
    for (const Draw &d : plan.repayments) {
      Append(EntryType::kRepayment, -d.amount, open_[d.index].grant_id, op);
      Append(EntryType::kRepayment, d.amount, std::nullopt, op);
    }
  }

  // Takes the plan's remaining_after and debt_after as the new state.
  void Settle(const ConsumePlan &plan) {
    for (std::size_t i = 0; i < open_.size(); ++i) {
      open_[i].remaining = plan.remaining_after[i];
      Remaining(open_[i].grant_id) = plan.remaining_after[i];
    }
    debt_ = plan.debt_after;
  }

  void Append(EntryType type, std::int64_t amount,
              std::optional<std::int64_t> grant_id, std::int64_t op) {
    EntryRecord e;
    e.wallet_id = 7;
    e.seq = static_cast<std::int64_t>(stored_.entries.size()) + 1;
    e.type = type;
    e.amount = amount;
    balance_ = AddUnits(balance_, amount);
    e.balance_after = balance_;
    e.grant_id = grant_id;
    e.operation_id = op;
    e.customer_id = "acme";
    e.credit_type = "usd";
    e.occurred_at = kNow;
    e.created_at = kNow;
    const Digest previous =
        stored_.hashes.empty() ? kGenesisHash : stored_.hashes.back();
    stored_.hashes.push_back(ChainHash(previous, e));
    stored_.entries.push_back(std::move(e));
  }

  StoredWallet stored_;
  std::vector<GrantState> open_;
  std::vector<Usage> usages_;
  std::set<std::int64_t> expired_;
  std::int64_t balance_ = 0;
  std::int64_t debt_ = 0;
  std::int64_t last_operation_ = 0;
};

// A non-zero change to a stored int64.
std::int64_t Delta(FuzzedDataProvider &in) {
  const std::int64_t d = in.ConsumeIntegralInRange<std::int64_t>(-3, 3);
  return d == 0 ? 1 : d;
}

// Alters one stored value of a non-empty healthy wallet.
void Tamper(FuzzedDataProvider &in, StoredWallet &w) {
  const std::size_t n = w.entries.size();
  const std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, n - 1);
  EntryRecord &e = w.entries[i];
  switch (in.ConsumeIntegralInRange<int>(0, 13)) {
  case 0:
    e.amount += Delta(in);
    break;
  case 1:
    e.balance_after += Delta(in);
    break;
  case 2:
    e.seq += Delta(in);
    break;
  case 3:
    e.grant_id = e.grant_id ? std::nullopt : std::optional<std::int64_t>(1);
    break;
  case 4:
    e.type = e.type == EntryType::kUsage ? EntryType::kAdjustment
                                         : EntryType::kUsage;
    break;
  case 5:
    e.feature = "free";
    break;
  case 6:
    w.hashes[i][in.ConsumeIntegralInRange<std::size_t>(0, 31)] ^= 1;
    break;
  case 7:
    w.entries.erase(w.entries.begin() + static_cast<std::ptrdiff_t>(i));
    w.hashes.erase(w.hashes.begin() + static_cast<std::ptrdiff_t>(i));
    break;
  case 8: {
    const EntryRecord copy = e;
    const Digest hash = w.hashes[i];
    w.entries.insert(w.entries.begin() + static_cast<std::ptrdiff_t>(i), copy);
    w.hashes.insert(w.hashes.begin() + static_cast<std::ptrdiff_t>(i), hash);
    break;
  }
  case 9:
    if (n < 2) {
      w.wallet.last_seq += 1;
    } else {
      const std::size_t j = i + 1 < n ? i + 1 : i - 1;
      std::swap(w.entries[i], w.entries[j]);
      std::swap(w.hashes[i], w.hashes[j]);
    }
    break;
  case 10:
    w.wallet.balance += Delta(in);
    break;
  case 11:
    w.wallet.debt += Delta(in);
    break;
  case 12:
    w.wallet.last_hash[0] ^= 1;
    break;
  default: {
    if (w.grants.empty()) {
      w.wallet.balance += Delta(in);
      break;
    }
    AuditGrant &g = w.grants[in.ConsumeIntegralInRange<std::size_t>(
        0, w.grants.size() - 1)];
    if (in.ConsumeBool()) {
      g.amount += Delta(in);
    } else {
      g.remaining += Delta(in);
    }
  }
  }
}

// Healthy history: clean audit; one alteration: at least one problem.
void CheckHealthy(FuzzedDataProvider &in) {
  Writer writer(in.ConsumeIntegralInRange<int>(0, kMaxScale));
  const int ops = in.ConsumeIntegralInRange<int>(1, 40);
  for (int k = 0; k < ops && in.remaining_bytes() > 0; ++k) {
    const std::int64_t big = in.ConsumeBool() ? 1000 : kMaxUnits;
    const std::int64_t amount = in.ConsumeIntegralInRange<std::int64_t>(1, big);
    const int kind = in.ConsumeIntegralInRange<int>(0, 5);
    const bool promotional = in.ConsumeBool();
    const auto priority = in.ConsumeIntegralInRange<std::int32_t>(0, 2);
    std::optional<std::int64_t> limit;
    if (in.ConsumeBool())
      limit = in.ConsumeIntegralInRange<std::int64_t>(0, 50);
    const std::uint8_t which = in.ConsumeIntegral<std::uint8_t>();
    // An operation the glue would fail with 22003 rolls back whole.
    const Writer before = writer;
    try {
      switch (kind) {
      case 0:
      case 1:
        writer.Grant(amount, promotional, priority);
        break;
      case 2:
        if (writer.debt() <= kMaxUnits - amount)
          writer.Consume(amount, limit);
        break;
      case 3:
        writer.Close(which, EntryType::kExpiration);
        break;
      case 4:
        writer.Close(which, EntryType::kVoid);
        break;
      default:
        writer.Reverse(which, amount);
      }
    } catch (const LedgerError &e) {
      CL_FUZZ_CHECK(e.code() == ErrorCode::kOutOfRange);
      writer = before;
    }
  }
  StoredWallet w = writer.Finish();
  CL_FUZZ_CHECK(Audit(w).empty());
  if (w.entries.empty())
    return;
  Tamper(in, w);
  CL_FUZZ_CHECK(!Audit(w).empty());
}

// An amount as the glue can read one back (within +-kMaxUnits), or anything.
std::int64_t PickAmount(FuzzedDataProvider &in) {
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
  case 0:
    return kMaxUnits;
  case 1:
    return -kMaxUnits;
  case 2:
    return in.ConsumeIntegralInRange<std::int64_t>(-kMaxUnits, kMaxUnits);
  default:
    return in.ConsumeIntegralInRange<std::int64_t>(-5, 5);
  }
}

// An int64 column with no range check in the glue (seq, ids).
std::int64_t PickId(FuzzedDataProvider &in) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
  case 0:
    return std::numeric_limits<std::int64_t>::max();
  case 1:
    return std::numeric_limits<std::int64_t>::min();
  case 2:
    return in.ConsumeIntegral<std::int64_t>();
  default:
    return in.ConsumeIntegralInRange<std::int64_t>(0, 4);
  }
}

// Arbitrary stored rows: no crash, no undefined behaviour, known codes.
void CheckTampered(FuzzedDataProvider &in) {
  StoredWallet w;
  w.scale = in.ConsumeIntegralInRange<int>(0, kMaxScale);
  const std::size_t grants = in.ConsumeIntegralInRange<std::size_t>(0, 4);
  for (std::size_t k = 0; k < grants; ++k) {
    w.grants.push_back(AuditGrant{PickId(in), PickAmount(in), PickAmount(in)});
  }
  const std::size_t entries = in.ConsumeIntegralInRange<std::size_t>(0, 40);
  Digest previous = kGenesisHash;
  for (std::size_t k = 0; k < entries && in.remaining_bytes() > 0; ++k) {
    EntryRecord e;
    e.seq = in.ConsumeBool() ? static_cast<std::int64_t>(k) + 1 : PickId(in);
    e.type = static_cast<EntryType>(in.ConsumeIntegralInRange<int>(0, 6));
    e.amount = PickAmount(in);
    e.balance_after = PickAmount(in);
    if (in.ConsumeBool())
      e.grant_id = PickId(in);
    e.operation_id = PickId(in);
    const Digest hash = in.ConsumeBool() ? ChainHash(previous, e) : Digest{};
    w.entries.push_back(e);
    w.hashes.push_back(hash);
    previous = hash;
  }
  w.wallet.balance = PickAmount(in);
  w.wallet.debt = PickAmount(in);
  w.wallet.last_seq = PickId(in);
  w.wallet.last_hash = previous;
  Audit(w);
}

} // namespace
} // namespace credit_ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    credit_ledger::fuzz::CheckTampered(in);
  } else {
    credit_ledger::fuzz::CheckHealthy(in);
  }
  return 0;
}
