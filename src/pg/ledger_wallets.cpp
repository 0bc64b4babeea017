// The ledger's wallets (locked once per operation) and credit types.
#include "error.hpp"
#include "grant_usage.hpp"
#include "ledger.hpp"

#include <map>

namespace credit_ledger::pg {
namespace {

namespace wallets {
ColumnRef wallet_id{"wallet_id"}, balance{"balance"}, debt{"debt"},
    overdraft_limit{"overdraft_limit"}, last_seq{"last_seq"},
    last_hash{"last_hash"}, thresholds{"low_balance_thresholds"},
    alerted{"low_balance_alerted"}, depleted{"depleted_alerted"},
    updated_at{"updated_at"}, latest_effective_at{"latest_effective_at"},
    next_due_at{"next_due_at"}, held{"held"}, held_overdraft{"held_overdraft"},
    legacy_until{"legacy_until"}, drawdown_order{"drawdown_order"},
    grant_usage_thresholds{"grant_usage_thresholds"};
}  // namespace wallets

namespace topup {
ColumnRef threshold{"topup_threshold"}, amount{"topup_amount"},
    cost_basis{"topup_cost_basis"}, max_per_day{"topup_max_per_day"},
    enabled{"topup_enabled"}, pending{"topup_pending_grant_id"},
    day{"topup_day"}, count{"topup_count"};
}  // namespace topup

ColumnRef credit_type_scale{"scale"}, credit_type_currency{"currency"};

// 1.2, issue 14 (absent on an older schema): the draw-down policy and the
// block usage thresholds.
void ReadWalletPolicy(Table& t, const Row& row, Wallet& w) {
  const AttrNumber order = t.OptAt(wallets::drawdown_order);
  if (order == InvalidAttrNumber) return;
  w.order = ParseDrawdownPolicy(row.Text(order));
  w.grant_usage_thresholds =
      row.UnitsArray(t.At(wallets::grant_usage_thresholds), kPercentScale);
}

// A new wallet is rare: SPI, where a plan's flexibility is worth more than
// its cost.
Statement create_wallet(
    "INSERT INTO credit_ledger.wallets"
    "       (customer_id, credit_type, balance, overdraft_limit, debt,"
    "        created_at, updated_at)"
    "VALUES ($1, $2, $4, $4, $4, $3, $3)"
    "    ON CONFLICT (customer_id, credit_type) DO NOTHING",
    {TEXTOID, TEXTOID, TIMESTAMPTZOID, NUMERICOID});

// The automatic top-up columns (1.2; absent on an older schema).
void ReadTopupColumns(const Table& t, const Row& row, Wallet& w) {
  const AttrNumber threshold = t.OptAt(topup::threshold);
  if (threshold == InvalidAttrNumber) return;
  w.topup_pending = row.OptInt64(t.At(topup::pending));
  if (row.IsNull(threshold)) return;  // never configured
  TopupConfig c;
  c.threshold = row.Units(threshold, w.scale);
  c.amount = row.Units(t.At(topup::amount), w.scale);
  c.cost_basis = row.NumericText(t.At(topup::cost_basis));
  c.max_per_day = row.Int32(t.At(topup::max_per_day));
  c.enabled = row.Bool(t.At(topup::enabled));
  w.topup = c;
  const AttrNumber day = t.At(topup::day);
  if (!row.IsNull(day)) {
    w.topup_counter =
        TopupCounter{row.Int32(day), row.Int32(t.At(topup::count))};
  }
}

// Fills a wallet from its row (identity and scale already set).
void ReadWalletRow(Table& t, Wallet& w) {
  Row row = t.Read(w.tuple);
  w.wallet_id = row.Int64(t.At(wallets::wallet_id));
  w.balance = row.Units(t.At(wallets::balance), w.scale);
  w.debt = row.Units(t.At(wallets::debt), w.scale);
  w.policy.limit = row.OptUnits(t.At(wallets::overdraft_limit), w.scale);
  w.last_seq = row.Int64(t.At(wallets::last_seq));
  // Only a hand-edited row gets here; seq arithmetic must stay in range.
  if (w.last_seq < 0 || w.last_seq > INT64_MAX / 2) {
    throw LedgerError(ErrorCode::kInternal,
                      "wallet " + std::to_string(w.wallet_id) +
                          " has an impossible last_seq",
                      "last_seq is " + std::to_string(w.last_seq) +
                          "; credit_verify() reports the damage.");
  }
  w.last_hash = row.Bytes(t.At(wallets::last_hash)).value_or(kGenesisHash);
  w.thresholds = row.UnitsArray(t.At(wallets::thresholds), w.scale);
  w.alerts.fired = row.UnitsArray(t.At(wallets::alerted), w.scale);
  w.alerts.depleted = row.Bool(t.At(wallets::depleted));
  const AttrNumber latest = t.OptAt(wallets::latest_effective_at);
  w.latest_effective_tracked = latest != InvalidAttrNumber;
  if (w.latest_effective_tracked)
    w.latest_effective_at = row.OptTimestamp(latest);
  const AttrNumber due = t.OptAt(wallets::next_due_at);
  w.timed = due != InvalidAttrNumber;
  if (w.timed) {
    w.next_due_at = row.OptTimestamp(due);
    w.held = row.Units(t.At(wallets::held), w.scale);
    w.held_overdraft = row.Units(t.At(wallets::held_overdraft), w.scale);
    w.legacy_until = row.OptTimestamp(t.At(wallets::legacy_until));
    w.held_read = w.held;
    w.held_overdraft_read = w.held_overdraft;
  }
  ReadTopupColumns(t, row, w);
  ReadWalletPolicy(t, row, w);
}

}  // namespace

int Ledger::RequireCreditType(const std::string& credit_type) {
  // A credit type never changes once created, so its scale is kept for the
  // backend's life - but only once its row is committed (a type created in
  // a transaction that rolls back must not linger), and keyed by the table's
  // OID (a reinstalled extension starts afresh).
  static std::map<std::pair<Oid, std::string>, int> committed_scales;
  Table t = tables_.Open(TableId::kCreditTypes);
  const Oid relid = t.Relid();
  if (auto it = committed_scales.find({relid, credit_type});
      it != committed_scales.end()) {
    return it->second;
  }
  const IndexKey key = IndexKey::Text(1, credit_type);
  if (!t.Fetch("credit_types_pkey", &key, 1)) {
    throw LedgerError(ErrorCode::kUnknownCreditType,
                      "credit type \"" + credit_type + "\" does not exist", "",
                      "Create it first with credit_type_create().");
  }
  const StoredRow row = t.CopyCurrent();
  const int scale = t.Read(row).Int32(t.At(credit_type_scale));
  if (t.InsertCommitted(row)) committed_scales[{relid, credit_type}] = scale;
  return scale;
}

void Ledger::LoadCurrency(Wallet& wallet) {
  Table t = tables_.Open(TableId::kCreditTypes);
  const AttrNumber column = t.OptAt(credit_type_currency);
  if (column == InvalidAttrNumber) return;
  const IndexKey key = IndexKey::Text(1, wallet.credit_type);
  if (!t.Fetch("credit_types_pkey", &key, 1)) return;
  wallet.currency = t.Read(t.CopyCurrent()).OptText(column);
}

std::optional<Wallet> Ledger::FindWallet(const std::string& customer_id,
                                         const std::string& credit_type,
                                         bool lock, bool skip_locked) {
  tables_.ForCustomer(customer_id);
  Table t = tables_.Open(TableId::kWallets);
  const IndexKey keys[2] = {IndexKey::Text(1, customer_id),
                            IndexKey::Text(2, credit_type)};
  if (lock && tables_.mode() == ReadMode::kReadOnly) {
    throw LedgerError(ErrorCode::kInternal, "a read-only ledger cannot lock");
  }
  if (!t.Fetch("wallets_customer_key", keys, 2)) return std::nullopt;
  if (lock && t.Lock(skip_locked) != LockResult::kLocked) return std::nullopt;
  Wallet w;
  w.tuple = t.CopyCurrent();
  w.customer_id = customer_id;
  w.credit_type = credit_type;
  w.scale = RequireCreditType(credit_type);
  ReadWalletRow(t, w);
  return w;
}

std::optional<Wallet> Ledger::LockWallet(const std::string& customer_id,
                                         const std::string& credit_type) {
  return FindWallet(customer_id, credit_type, true, false);
}

std::optional<Wallet> Ledger::TryLockWallet(const std::string& customer_id,
                                            const std::string& credit_type) {
  return FindWallet(customer_id, credit_type, true, true);
}

std::optional<Wallet> Ledger::ReadWallet(const std::string& customer_id,
                                         const std::string& credit_type) {
  return FindWallet(customer_id, credit_type, false, false);
}

Wallet Ledger::LockOrCreateWallet(const std::string& customer_id,
                                  const std::string& credit_type, Micros now) {
  if (auto w = LockWallet(customer_id, credit_type)) return *w;
  const int scale = RequireCreditType(credit_type);
  UseSpi();
  Params p;
  // Zero at the type's scale, so a new wallet reads 0.00 rather than 0.
  p.Text(customer_id).Text(credit_type).Timestamp(now).Units(0, scale);
  Execute(create_wallet, p);
  // Either our insert or a concurrent one that committed first.
  if (auto w = LockWallet(customer_id, credit_type)) return *w;
  throw LedgerError(ErrorCode::kInternal, "wallet vanished after creation");
}

void Ledger::SaveWallet(Wallet& wallet, Micros now) {
  if (wallet.tuple == nullptr) {
    throw LedgerError(ErrorCode::kInternal,
                      "saving a wallet that was not locked");
  }
  Table t = tables_.Open(TableId::kWallets);
  RowWriter row = t.Write();
  row.Units(wallets::balance, wallet.balance, wallet.scale)
      .Units(wallets::debt, wallet.debt, wallet.scale)
      .Int64(wallets::last_seq, wallet.last_seq)
      .Bytes(wallets::last_hash, wallet.last_hash)
      .Timestamp(wallets::updated_at, now)
      .UnitsArray(wallets::alerted, wallet.alerts.fired, wallet.scale)
      .Bool(wallets::depleted, wallet.alerts.depleted);
  if (wallet.latest_effective_tracked) {
    row.Timestamp(wallets::latest_effective_at, wallet.latest_effective_at);
  }
  if (wallet.timed) {
    row.Timestamp(wallets::next_due_at, wallet.next_due_at)
        .Timestamp(wallets::legacy_until, wallet.legacy_until);
    // Numerics only when they moved: the hot path rarely moves them.
    if (wallet.held != wallet.held_read) {
      row.Units(wallets::held, wallet.held, wallet.scale);
    }
    if (wallet.held_overdraft != wallet.held_overdraft_read) {
      row.Units(wallets::held_overdraft, wallet.held_overdraft, wallet.scale);
    }
  }
  if (wallet.topup_changed) {
    row.Int64(topup::pending, wallet.topup_pending)
        .Int32(topup::day, static_cast<std::int32_t>(wallet.topup_counter.day))
        .Int32(topup::count, wallet.topup_counter.count);
  }
  row.Update(wallet.tuple);
}

}  // namespace credit_ledger::pg
