// 1.2, what reads show: grant_status and wallet_summary read each wallet as
// a write would leave it once caught up to now (src/core/reading.hpp),
// without writing. credit_ledger.caught_up_block and caught_up_wallet are
// the views' building blocks: they read the rows, let PlanCatchUp decide
// exactly when a write would run it (the wallet's next_due_at has come), and
// return the caught-up columns.
#include "args.hpp"
#include "error.hpp"
#include "guard.hpp"
#include "ledger.hpp"
#include "operations.hpp"
#include "reading.hpp"
#include "result.hpp"
#include "settings.hpp"

#include <map>
#include <memory>
#include <string>
#include <utility>

namespace credit_ledger::pg {
namespace {

// One wallet as caught up for readers at `now`.
struct WalletRead {
  Wallet wallet;
  Micros now = 0;
  CaughtUpRead read;
};

WalletRead ReadWalletCaughtUp(Ledger& ledger, const std::string& customer_id,
                              const std::string& credit_type, Micros now) {
  std::optional<Wallet> wallet = ledger.ReadWallet(customer_id, credit_type);
  if (!wallet) throw LedgerError(ErrorCode::kNotFound, "wallet not found");
  WalletRead r;
  r.now = now;
  const TimedWallet stored = ledger.ReadTimedWallet(*wallet, nullptr);
  r.read = ReadCaughtUp(stored, now, wallet->next_due_at, IsDue(*wallet, now));
  r.wallet = std::move(*wallet);
  r.wallet.tuple = nullptr;  // not kept past the read
  return r;
}

// The wallets caught_up_block read during one query (one per call site,
// kept in fn_extra and freed with the query's memory): grant_status asks
// for every block of a wallet, and the wallet is read and caught up once.
// A few wallets are kept; a query over many starts over now and then.
struct ReadMemo {
  static constexpr std::size_t kMaxWallets = 16;
  std::map<std::pair<std::string, std::string>, WalletRead> wallets;
};

void DeleteMemo(void* memo) {
  delete static_cast<ReadMemo*>(memo);
}

ReadMemo& MemoOf(FunctionCallInfo fcinfo) {
  FmgrInfo* flinfo = fcinfo->flinfo;
  if (flinfo->fn_extra != nullptr) {
    return *static_cast<ReadMemo*>(flinfo->fn_extra);
  }
  auto memo = std::make_unique<ReadMemo>();
  ReadMemo* raw = memo.get();
  Guard([&] {
    auto* callback = static_cast<MemoryContextCallback*>(
        MemoryContextAlloc(flinfo->fn_mcxt, sizeof(MemoryContextCallback)));
    callback->func = DeleteMemo;
    callback->arg = raw;
    MemoryContextRegisterResetCallback(flinfo->fn_mcxt, callback);
  });
  flinfo->fn_extra = memo.release();
  return *raw;
}

const WalletRead& MemoWallet(ReadMemo& memo, Ledger& ledger,
                             const std::string& customer_id,
                             const std::string& credit_type, Micros now) {
  auto key = std::make_pair(customer_id, credit_type);
  auto it = memo.wallets.find(key);
  if (it != memo.wallets.end() && it->second.now == now) return it->second;
  if (memo.wallets.size() >= ReadMemo::kMaxWallets) memo.wallets.clear();
  WalletRead r = ReadWalletCaughtUp(ledger, customer_id, credit_type, now);
  return memo.wallets.insert_or_assign(std::move(key), std::move(r))
      .first->second;
}

std::optional<Block> FindBlock(const TimedWallet& w, std::int64_t grant_id) {
  for (const Block& b : w.blocks) {
    if (b.row.grant_id == grant_id) return b;
  }
  return std::nullopt;
}

Datum BlockStateDatum(FunctionCallInfo fcinfo, const Block& b, Micros now,
                      int scale) {
  Datum values[6];
  bool nulls[6] = {false, false, false, false, false, false};
  values[0] = TextDatum(StatusName(StatusAt(b, now)));
  values[1] = UnitsToNumeric(b.row.remaining, scale);
  values[2] = UnitsToNumeric(b.held, scale);
  values[3] = UnitsToNumeric(b.row.expired_amount, scale);
  values[4] = UnitsToNumeric(b.row.voided_amount, scale);
  values[5] = BoolGetDatum(IsBlockOpen(b));
  return CompositeDatum(fcinfo, values, nulls);
}

Datum WalletStateDatum(FunctionCallInfo fcinfo, const WalletRead& r) {
  const WalletReading s = SummarizeWallet(r.read.wallet, r.now);
  const int scale = r.wallet.scale;
  Datum values[8];
  bool nulls[8] = {false, false, false, false, false, false, false, false};
  values[0] = UnitsToNumeric(s.available, scale);
  values[1] = UnitsToNumeric(s.scheduled, scale);
  values[2] = UnitsToNumeric(s.expiring_30d, scale);
  values[3] = UnitsToNumeric(s.debt, scale);
  values[4] = UnitsToNumeric(s.ledger_balance, scale);
  values[5] = Int64GetDatum(r.wallet.last_seq + r.read.added);
  values[6] = UnitsToNumeric(s.held, scale);
  values[7] = UnitsToNumeric(s.pending, scale);
  return CompositeDatum(fcinfo, values, nulls);
}

}  // namespace
}  // namespace credit_ledger::pg

// credit_ledger.caught_up_block(customer_id, credit_type, grant_id): one
// block as caught up to now (credit_ledger.block_state).
CL_FUNCTION(credit_caught_up_block) {
  using namespace credit_ledger;
  using namespace credit_ledger::pg;
  Args args(fcinfo);
  const Args::WalletName w = args.Wallet();
  const std::int64_t grant_id = args.Int64(2, "grant_id");
  ReadMemo& memo = MemoOf(fcinfo);
  const Micros now = LedgerNow();
  Ledger ledger(ReadMode::kReadOnly);
  const WalletRead& r =
      MemoWallet(memo, ledger, w.customer_id, w.credit_type, now);
  // A block the catch-up read is as it left it; any other (closed, not
  // reserved by an active hold) is as stored: time no longer changes it.
  std::optional<Block> block = FindBlock(r.read.wallet, grant_id);
  if (!block) block = ledger.ReadBlock(r.wallet, grant_id);
  if (!block) throw LedgerError(ErrorCode::kNotFound, "grant not found");
  const int scale = r.wallet.scale;
  ledger.Finish();
  return BlockStateDatum(fcinfo, *block, now, scale);
}

// credit_ledger.caught_up_wallet(customer_id, credit_type): the wallet as
// caught up to now (credit_ledger.wallet_state).
CL_FUNCTION(credit_caught_up_wallet) {
  using namespace credit_ledger::pg;
  const Args::WalletName w = Args(fcinfo).Wallet();
  Ledger ledger(ReadMode::kReadOnly);
  const WalletRead r =
      ReadWalletCaughtUp(ledger, w.customer_id, w.credit_type, LedgerNow());
  ledger.Finish();
  return WalletStateDatum(fcinfo, r);
}
