// libFuzzer target for the ledger auditor behind credit_verify
// (src/core/audit.hpp).
//
// Two modes, chosen by the first decoded value:
//  - healthy: a wallet history is written the way the glue writes it, by the
//    shipped planners (grants that repay debt, consumes with their debt
//    usage, expirations, voids, reversals onto live, lapsed or voided grants
//    and onto debt), chained with ChainHash. The
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
#include "drafts.hpp"
#include "entry.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"
#include "grant.hpp"
#include "lifecycle.hpp"
#include "plan.hpp"
#include "reversal.hpp"

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
std::vector<Problem> Audit(const StoredWallet& w) {
  WalletAuditor auditor(w.scale, w.grants);
  for (std::size_t i = 0; i < w.entries.size(); ++i) {
    auditor.Add(w.entries[i], w.hashes[i]);
  }
  std::vector<Problem> problems = auditor.Finish(w.wallet);
  for (const Problem& p : problems) {
    CL_FUZZ_CHECK(kProblemCodes.count(p.problem) == 1);
    CL_FUZZ_CHECK(!p.detail.empty() && p.detail.back() == '.');
  }
  return problems;
}

// Writes a healthy history the way src/pg writes one: each operation reads
// the wallet's rows, asks the shipped core planner (PlanBlock, PlanDrawDown,
// PlanExpiry, PlanVoid, PlanReversal with
// PlanReverse) and stores exactly what it returns, numbering the entries as
// Ledger::AppendEntries does.
class Writer {
 public:
  explicit Writer(int scale) { stored_.scale = scale; }

  // credit_grant. A 22003 (balance out of range) throws.
  void Grant(std::int64_t amount, bool promotional, std::int32_t priority) {
    BlockSpec spec;
    spec.promotional = promotional;
    spec.priority = priority;
    BlockInput in;
    in.debt = debt_;
    in.scale = stored_.scale;
    in.now = kNow;
    if (debt_ > 0) {
      in.open = Open();
    } else {
      in.spendable_before = Spendable();
    }
    const BlockPlan plan = PlanBlock(in, spec, amount, NextGrantId(), {}, {});
    const std::int64_t op = ++last_operation_;
    rows_.push_back(RowOf(plan.grant));
    SaveRemaining(in.open, plan.OpenRemainingAfter());
    Append(plan.drafts, op);
  }

  // credit_consume (usage entries) or a negative credit_adjust (adjustment
  // entries). Returns false when the policy refused it.
  bool DrawDown(std::int64_t amount, std::optional<std::int64_t> limit,
                EntryType type) {
    const std::vector<OpenGrant> open = Open();
    OverdraftPolicy policy;
    policy.limit = limit;
    DrawDownPlan p;
    try {
      p = PlanDrawDown(open, PlannerState(open, debt_, policy, stored_.scale),
                       kNow, amount, type);
    } catch (const LedgerError& e) {
      CL_FUZZ_CHECK(e.code() == ErrorCode::kInsufficientCredits ||
                    e.code() == ErrorCode::kOutOfRange);
      return false;
    }
    CL_FUZZ_CHECK(p.amount == (type == EntryType::kUsage ? amount : -amount));
    const std::int64_t op = ++last_operation_;
    SaveRemaining(open, p.plan.remaining_after);
    Append(p.drafts, op);
    if (type != EntryType::kUsage) return true;  // only a consume reverses
    Usage usage;
    for (const EntryDraft& d : p.drafts) {
      if (d.type == EntryType::kUsage)
        usage.portions.push_back(UsagePortion{d.grant_id, -d.amount});
    }
    usages_.push_back(std::move(usage));
    return true;
  }

  // The expiration sweep or credit_void of one of the open grants.
  void Close(std::size_t which, EntryType type) {
    const std::vector<OpenGrant> open = Open();
    if (open.empty()) return;
    GrantRow& g = rows_[*open[which % open.size()].row];
    const std::int64_t op = ++last_operation_;
    if (type == EntryType::kVoid) {
      const VoidPlan plan = PlanVoid(g, Spendable(), kNow);
      g = plan.grant;
      Append(plan.drafts, op);
      return;
    }
    g.expires_at = kNow - 1;  // it lapsed; the sweep found it
    CL_FUZZ_CHECK(SweepExpires(g, kNow));
    const ExpiryPlan plan = PlanExpiry(g, kNow);
    g = plan.grant;
    Append({plan.draft}, op);
  }

  // credit_reverse of up to `amount` of a consume.
  void Reverse(std::size_t which, std::int64_t amount) {
    if (usages_.empty()) return;
    Usage& u = usages_[which % usages_.size()];
    std::int64_t consumed = 0;
    for (const UsagePortion& p : u.portions) consumed += p.amount;
    if (consumed - u.reversed <= 0) return;
    ReversalInput in;
    in.restorations =
        PlanReversal(u.portions, u.reversed,
                     std::min(amount, consumed - u.reversed), stored_.scale);
    for (const Restoration& r : in.restorations) {
      if (r.grant_id)
        in.restored.emplace(*r.grant_id, rows_[Index(*r.grant_id)]);
    }
    if (ReversalBlockCredits(in.restorations, debt_) > 0)
      in.new_block_id = NextGrantId();
    in.open = Open();
    in.debt = debt_;
    in.scale = stored_.scale;
    in.now = kNow;
    const ReversalPlan plan = PlanReverse(in);
    const std::int64_t op = ++last_operation_;
    SaveRemaining(plan.others, plan.others_after);
    if (plan.new_block) rows_.push_back(RowOf(*plan.new_block));
    for (const auto& [grant_id, row] : plan.restored)
      rows_[Index(grant_id)] = row;
    Append(plan.drafts, op);
    u.reversed += plan.amount;
  }

  // The stored rows, with the wallet's cached totals.
  StoredWallet Finish() {
    stored_.grants.clear();
    for (const GrantRow& g : rows_) {
      AuditGrant a{g.grant_id,       g.amount,        g.remaining,
                   g.expired_amount, g.voided_amount, g.effective_at};
      a.priority = g.priority;
      a.cost_basis = g.cost_basis;
      // The harness lapses a grant by moving its expiry to just before now,
      // without modelling its start, so a swept grant's expires_at is not
      // stored (10_verify and the unit tests cover that CHECK).
      if (g.expires_at != kNever && !g.expired_at) a.expires_at = g.expires_at;
      a.voided_at = g.voided_at;
      a.expired_at = g.expired_at;
      a.open = IsOpen(g);
      stored_.grants.push_back(a);
      if (!stored_.wallet.latest_effective_at ||
          g.effective_at > *stored_.wallet.latest_effective_at)
        stored_.wallet.latest_effective_at = g.effective_at;
    }
    stored_.wallet.tracks_latest_effective = true;
    stored_.wallet.balance = balance_;
    stored_.wallet.debt = debt_;
    stored_.wallet.last_seq = static_cast<std::int64_t>(stored_.entries.size());
    stored_.wallet.last_hash =
        stored_.hashes.empty() ? kGenesisHash : stored_.hashes.back();
    return stored_;
  }

  std::int64_t debt() const { return debt_; }

 private:
  struct Usage {
    std::vector<UsagePortion> portions;  // its usage entries, seq order
    std::int64_t reversed = 0;
  };

  std::int64_t NextGrantId() const {
    return static_cast<std::int64_t>(rows_.size()) + 1;
  }
  static std::size_t Index(std::int64_t grant_id) {
    return static_cast<std::size_t>(grant_id - 1);
  }

  static GrantRow RowOf(const NewGrant& g) {
    GrantRow row;
    static_cast<GrantTerms&>(row) = g;
    row.expires_at = g.expires_at.value_or(kNever);
    return row;
  }

  // What Ledger::ReadOpenGrants reads: grants holding credits that are
  // neither voided nor expired (row: the index into rows_).
  std::vector<OpenGrant> Open() const {
    std::vector<OpenGrant> open;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (rows_[i].remaining == 0 || rows_[i].Lapsed(kNow)) continue;
      OpenGrant g = rows_[i].AsOpen();
      g.row = i;
      open.push_back(std::move(g));
    }
    return open;
  }

  std::int64_t Spendable() const {
    return SpendableBalance(
        PlannerState(Open(), debt_, OverdraftPolicy{}, stored_.scale), kNow);
  }

  // Ledger::SaveRemaining.
  void SaveRemaining(const std::vector<OpenGrant>& before,
                     const std::vector<std::int64_t>& after) {
    for (std::size_t i = 0; i < before.size(); ++i)
      rows_[*before[i].row].remaining = after[i];
  }

  // Ledger::AppendEntries (the value column aside, which the auditor does
  // not read).
  void Append(const std::vector<EntryDraft>& drafts, std::int64_t op) {
    for (const EntryDraft& d : drafts) {
      EntryRecord e;
      e.wallet_id = 7;
      e.seq = static_cast<std::int64_t>(stored_.entries.size()) + 1;
      e.type = d.type;
      e.amount = d.amount;
      e.balance_after = AddUnits(balance_, d.amount);
      e.grant_id = d.grant_id;
      e.operation_id = op;
      e.promotional = d.promotional;
      e.customer_id = "acme";
      e.credit_type = "usd";
      e.occurred_at = d.occurred_at.value_or(kNow);
      e.created_at = kNow;
      if (!d.grant_id) debt_ = SubUnits(debt_, d.amount, "debt");
      balance_ = e.balance_after;
      const Digest previous =
          stored_.hashes.empty() ? kGenesisHash : stored_.hashes.back();
      stored_.hashes.push_back(ChainHash(previous, e));
      stored_.entries.push_back(std::move(e));
    }
  }

  StoredWallet stored_;
  std::vector<GrantRow> rows_;  // index: grant_id - 1
  std::vector<Usage> usages_;
  std::int64_t balance_ = 0;
  std::int64_t debt_ = 0;
  std::int64_t last_operation_ = 0;
};

// A non-zero change to a stored int64.
std::int64_t Delta(FuzzedDataProvider& in) {
  const std::int64_t d = in.ConsumeIntegralInRange<std::int64_t>(-3, 3);
  return d == 0 ? 1 : d;
}

// Alters one field of an entry (alteration k, 0 to 5).
void AlterEntry(FuzzedDataProvider& in, EntryRecord& e, int k) {
  switch (k) {
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
  default:
    e.feature = "free";
  }
}

// Alters entry i's stored hash or place in the chain (alteration k, 6 to 9).
void AlterChain(FuzzedDataProvider& in, StoredWallet& w, std::size_t i, int k) {
  const std::size_t n = w.entries.size();
  switch (k) {
  case 6:
    w.hashes[i][in.ConsumeIntegralInRange<std::size_t>(0, 31)] ^= 1;
    break;
  case 7:
    w.entries.erase(w.entries.begin() + static_cast<std::ptrdiff_t>(i));
    w.hashes.erase(w.hashes.begin() + static_cast<std::ptrdiff_t>(i));
    break;
  case 8: {
    const EntryRecord copy = w.entries[i];
    const Digest hash = w.hashes[i];
    w.entries.insert(w.entries.begin() + static_cast<std::ptrdiff_t>(i), copy);
    w.hashes.insert(w.hashes.begin() + static_cast<std::ptrdiff_t>(i), hash);
    break;
  }
  default:
    if (n < 2) {
      w.wallet.last_seq += 1;
    } else {
      const std::size_t j = i + 1 < n ? i + 1 : i - 1;
      std::swap(w.entries[i], w.entries[j]);
      std::swap(w.hashes[i], w.hashes[j]);
    }
  }
}

// Alters a cached wallet or grant value (alteration k, 10 to 13).
void AlterCache(FuzzedDataProvider& in, StoredWallet& w, int k) {
  switch (k) {
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
    AuditGrant& g = w.grants[in.ConsumeIntegralInRange<std::size_t>(
        0, w.grants.size() - 1)];
    if (in.ConsumeBool()) {
      g.amount += Delta(in);
    } else {
      g.remaining += Delta(in);
    }
  }
  }
}

// Alters one stored value of a non-empty healthy wallet.
void Tamper(FuzzedDataProvider& in, StoredWallet& w) {
  const std::size_t i =
      in.ConsumeIntegralInRange<std::size_t>(0, w.entries.size() - 1);
  const int k = in.ConsumeIntegralInRange<int>(0, 13);
  if (k <= 5) {
    AlterEntry(in, w.entries[i], k);
  } else if (k <= 9) {
    AlterChain(in, w, i, k);
  } else {
    AlterCache(in, w, k);
  }
}

// Healthy history: clean audit; one alteration: at least one problem. An
// operation the glue would fail (22003 out of range, LG006 for a reversal)
// rolls back whole.
void CheckHealthy(FuzzedDataProvider& in) {
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
    const Writer before = writer;
    try {
      switch (kind) {
      case 0:
      case 1:
        writer.Grant(amount, promotional, priority);
        break;
      case 2:
        if (writer.debt() <= kMaxUnits - amount) {
          writer.DrawDown(amount, limit,
                          promotional ? EntryType::kAdjustment
                                      : EntryType::kUsage);
        }
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
    } catch (const LedgerError& e) {
      CL_FUZZ_CHECK(e.code() == ErrorCode::kOutOfRange);
      writer = before;
    }
  }
  StoredWallet w = writer.Finish();
  CL_FUZZ_CHECK(Audit(w).empty());
  if (w.entries.empty()) return;
  Tamper(in, w);
  CL_FUZZ_CHECK(!Audit(w).empty());
}

// An amount as the glue can read one back (within +-kMaxUnits), or anything.
std::int64_t PickAmount(FuzzedDataProvider& in) {
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
std::int64_t PickId(FuzzedDataProvider& in) {
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
void CheckTampered(FuzzedDataProvider& in) {
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
    if (in.ConsumeBool()) e.grant_id = PickId(in);
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

}  // namespace
}  // namespace credit_ledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    credit_ledger::fuzz::CheckTampered(in);
  } else {
    credit_ledger::fuzz::CheckHealthy(in);
  }
  return 0;
}
