#include "ledger.hpp"

#include "amount.hpp"
#include "error.hpp"
#include "fingerprint.hpp"
#include "guard.hpp"
#include "settings.hpp"
#include "spi.hpp"

#include <map>

extern "C" {
#include "access/transam.h"
#include "utils/fmgroids.h"
}

namespace credit_ledger::pg {
namespace {

// Columns the direct paths read or write, by table.
namespace wallets {
ColumnRef wallet_id{"wallet_id"}, balance{"balance"}, debt{"debt"},
    overdraft_limit{"overdraft_limit"}, last_seq{"last_seq"},
    last_hash{"last_hash"}, thresholds{"low_balance_thresholds"},
    alerted{"low_balance_alerted"}, depleted{"depleted_alerted"},
    updated_at{"updated_at"}, latest_effective_at{"latest_effective_at"};
}  // namespace wallets

namespace grants {
ColumnRef grant_id{"grant_id"}, wallet_id{"wallet_id"},
    customer_id{"customer_id"}, credit_type{"credit_type"}, amount{"amount"},
    remaining{"remaining"}, promotional{"promotional"}, priority{"priority"},
    cost_basis{"cost_basis"}, effective_at{"effective_at"},
    expires_at{"expires_at"}, expired_amount{"expired_amount"},
    voided_amount{"voided_amount"}, reason{"reason"}, source_id{"source_id"},
    metadata{"metadata"}, kind{"kind"}, operation_id{"operation_id"},
    created_at{"created_at"}, open{"open"};
}  // namespace grants

namespace operations {
ColumnRef operation_id{"operation_id"}, customer_id{"customer_id"},
    wallet_id{"wallet_id"}, credit_type{"credit_type"},
    operation_type{"operation_type"}, idempotency_key{"idempotency_key"},
    key_hash{"key_hash"}, request_hash{"request_hash"}, amount{"amount"},
    balance{"balance"}, grant_id{"grant_id"},
    reverses_operation_id{"reverses_operation_id"}, first_seq{"first_seq"},
    last_seq{"last_seq"}, created_at{"created_at"};
}  // namespace operations

namespace entries {
ColumnRef entry_id{"entry_id"}, wallet_id{"wallet_id"},
    customer_id{"customer_id"}, credit_type{"credit_type"}, seq{"seq"},
    entry_type{"entry_type"}, amount{"amount"}, value{"value"},
    balance_after{"balance_after"}, grant_id{"grant_id"},
    operation_id{"operation_id"}, promotional{"promotional"},
    feature{"feature"}, source_id{"source_id"}, reason{"reason"},
    actor{"actor"}, metadata{"metadata"}, occurred_at{"occurred_at"},
    created_at{"created_at"}, hash{"hash"};
}  // namespace entries

namespace events {
ColumnRef event_id{"event_id"}, event_type{"event_type"},
    customer_id{"customer_id"}, credit_type{"credit_type"},
    wallet_id{"wallet_id"}, operation_id{"operation_id"}, payload{"payload"},
    created_at{"created_at"}, attempts{"attempts"};
}  // namespace events

ColumnRef credit_type_scale{"scale"};

// A row to insert, or the columns of a row to replace, by attribute.
class RowWriter {
 public:
  explicit RowWriter(OpenTable* table) : table_(table) {
    Guard([&] {
      natts_ = RelationGetDescr(table_->rel)->natts;
      values_ = static_cast<Datum*>(palloc0(natts_ * sizeof(Datum)));
      nulls_ = static_cast<bool*>(palloc(natts_ * sizeof(bool)));
      replace_ = static_cast<bool*>(palloc0(natts_ * sizeof(bool)));
      memset(nulls_, true, natts_ * sizeof(bool));
    });
  }

  RowWriter& Set(ColumnRef& column, Datum value) {
    const AttrNumber n = Guard([&] { return Col(table_->rel, column); });
    values_[n - 1] = value;
    nulls_[n - 1] = false;
    replace_[n - 1] = true;
    return *this;
  }
  RowWriter& Null(ColumnRef& column) {
    const AttrNumber n = Guard([&] { return Col(table_->rel, column); });
    nulls_[n - 1] = true;
    replace_[n - 1] = true;
    return *this;
  }
  RowWriter& Int64(ColumnRef& c, std::int64_t v) {
    return Set(c, Int64GetDatum(v));
  }
  RowWriter& Int64(ColumnRef& c, const std::optional<std::int64_t>& v) {
    return v ? Int64(c, *v) : Null(c);
  }
  RowWriter& Int32(ColumnRef& c, std::int32_t v) {
    return Set(c, Int32GetDatum(v));
  }
  RowWriter& Bool(ColumnRef& c, bool v) { return Set(c, BoolGetDatum(v)); }
  RowWriter& Bool(ColumnRef& c, const std::optional<bool>& v) {
    return v ? Bool(c, *v) : Null(c);
  }
  RowWriter& Text(ColumnRef& c, std::string_view v) {
    return Set(c, TextDatum(v));
  }
  RowWriter& Text(ColumnRef& c, const std::string& v) {
    return Text(c, std::string_view(v));
  }
  RowWriter& Text(ColumnRef& c, const char* v) {
    return Text(c, std::string_view(v));
  }
  RowWriter& Text(ColumnRef& c, const std::optional<std::string>& v) {
    return v ? Text(c, std::string_view(*v)) : Null(c);
  }
  RowWriter& Timestamp(ColumnRef& c, Micros v) {
    return Set(c, TimestampTzGetDatum(v));
  }
  RowWriter& Timestamp(ColumnRef& c, const std::optional<Micros>& v) {
    return v ? Timestamp(c, *v) : Null(c);
  }
  RowWriter& Units(ColumnRef& c, std::int64_t units, int scale) {
    return Set(c, UnitsToNumeric(units, scale));
  }
  RowWriter& Units(ColumnRef& c, const std::optional<std::int64_t>& units,
                   int scale) {
    return units ? Units(c, *units, scale) : Null(c);
  }
  RowWriter& Numeric(ColumnRef& c, const std::optional<std::string>& text) {
    return text ? Set(c, NumericTextDatum(*text)) : Null(c);
  }
  RowWriter& Bytes(ColumnRef& c, const Digest& v) {
    return Set(c, BytesDatum(v));
  }
  RowWriter& Bytes(ColumnRef& c, const std::optional<Digest>& v) {
    return v ? Bytes(c, *v) : Null(c);
  }
  RowWriter& Jsonb(ColumnRef& c, Datum jsonb, bool is_null) {
    return is_null ? Null(c) : Set(c, jsonb);
  }
  RowWriter& UnitsArray(ColumnRef& c, const std::vector<std::int64_t>& units,
                        int scale) {
    std::vector<Datum> elems;
    elems.reserve(units.size());
    for (std::int64_t u : units) elems.push_back(UnitsToNumeric(u, scale));
    Datum array = Guard([&] {
      return PointerGetDatum(
          construct_array(elems.data(), static_cast<int>(elems.size()),
                          NUMERICOID, -1, false, TYPALIGN_INT));
    });
    return Set(c, array);
  }

  void Insert(OpenTables* open) {
    Guard([&] { RawInsert(open, table_, values_, nulls_); });
  }
  bool InsertUnlessConflict(OpenTables* open, Oid arbiter) {
    return Guard([&] {
      return RawInsertUnlessConflict(open, table_, values_, nulls_, arbiter);
    });
  }
  void Update(OpenTables* open, HeapTuple old) {
    Guard([&] { RawUpdate(open, table_, old, values_, nulls_, replace_); });
  }

 private:
  OpenTable* table_;
  int natts_ = 0;
  Datum* values_ = nullptr;
  bool* nulls_ = nullptr;
  bool* replace_ = nullptr;
};

// Reads a tuple of `table` column by column.
Row Read(OpenTable* table, HeapTuple tuple) {
  return Row(tuple, RelationGetDescr(table->rel));
}

AttrNumber At(OpenTable* table, ColumnRef& column) {
  return Guard([&] { return Col(table->rel, column); });
}

// Statements of the paths that stay on SPI: rare operations, where a plan's
// flexibility is worth more than its cost.
Statement create_wallet(
    "INSERT INTO credit_ledger.wallets"
    "       (customer_id, credit_type, balance, overdraft_limit, debt,"
    "        created_at, updated_at)"
    "VALUES ($1, $2, $4, $4, $4, $3, $3)"
    "    ON CONFLICT (customer_id, credit_type) DO NOTHING",
    {TEXTOID, TEXTOID, TIMESTAMPTZOID, NUMERICOID});

Statement
    grant_owner("SELECT customer_id, credit_type FROM credit_ledger.grants"
                " WHERE grant_id = $1",
                {INT8OID});

Statement read_grant(
    "SELECT amount, remaining, promotional, cost_basis, expires_at, voided_at,"
    "       expired_at, expired_amount, voided_amount, priority, effective_at"
    "  FROM credit_ledger.grants"
    " WHERE grant_id = $1 AND customer_id = $2",
    {INT8OID, TEXTOID});

Statement
    save_grant("UPDATE credit_ledger.grants"
               "   SET remaining = $3, expired_amount = $4, voided_amount = $5,"
               "       voided_at = $6, expired_at = $7,"
               "       open = ($3 > 0 AND $6 IS NULL AND $7 IS NULL)"
               " WHERE grant_id = $1 AND customer_id = $2",
               {INT8OID, TEXTOID, NUMERICOID, NUMERICOID, NUMERICOID,
                TIMESTAMPTZOID, TIMESTAMPTZOID});

Statement find_operation_by_id(
    "SELECT customer_id, credit_type, operation_type, first_seq, last_seq"
    "  FROM credit_ledger.operations WHERE operation_id = $1",
    {INT8OID});

Statement usage_entries(
    "SELECT grant_id, amount, feature, source_id"
    "  FROM credit_ledger.entries"
    " WHERE wallet_id = $1 AND customer_id = $2 AND seq BETWEEN $3 AND $4"
    "   AND entry_type = 'usage'"
    " ORDER BY seq",
    {INT8OID, TEXTOID, INT8OID, INT8OID});

Statement reversed_so_far(
    "SELECT coalesce(sum(amount), 0) FROM credit_ledger.operations"
    " WHERE customer_id = $1 AND reverses_operation_id = $2",
    {TEXTOID, INT8OID});

// Makes the ledger's row memory current, emptied, until the scope ends: an
// operation that reads or writes many rows (a consume drawing from 100,000
// blocks) holds the memory of one row at a time, not of all of them.
class RowScope {
 public:
  explicit RowScope(MemoryContext row) : caller_(CurrentMemoryContext) {
    if (caller_ == row) {
      throw LedgerError(ErrorCode::kInternal, "row scopes cannot nest");
    }
    Guard([&] { MemoryContextReset(row); });
    MemoryContextSwitchTo(row);
  }
  ~RowScope() { MemoryContextSwitchTo(caller_); }
  RowScope(const RowScope&) = delete;
  RowScope& operator=(const RowScope&) = delete;

 private:
  MemoryContext caller_;
};

// A row's tid as the core's opaque row handle (OpenGrant::row), and back.
std::uint64_t PackTid(ItemPointerData tid) {
  return (std::uint64_t{ItemPointerGetBlockNumberNoCheck(&tid)} << 16) |
         ItemPointerGetOffsetNumberNoCheck(&tid);
}

ItemPointerData UnpackTid(std::uint64_t row) {
  ItemPointerData tid;
  ItemPointerSet(&tid, static_cast<BlockNumber>(row >> 16),
                 static_cast<OffsetNumber>(row & 0xffff));
  return tid;
}

}  // namespace

MemoryContext Ledger::RowMemory() {
  if (row_memory_ == nullptr) {
    row_memory_ = Guard([] {
      return AllocSetContextCreate(CurrentMemoryContext, "credit_ledger row",
                                   ALLOCSET_DEFAULT_SIZES);
    });
  }
  return row_memory_;
}

OpenTable* Ledger::Table(TableId id) {
  return Guard([&] { return RawTable(&tables_, id); });
}

void Ledger::UseSpi() {
  if (!spi_) {
    SpiConnect();
    spi_ = true;
  }
}

void Ledger::Finish() {
  if (row_memory_ != nullptr) {
    Guard([&] { MemoryContextDelete(row_memory_); });
    row_memory_ = nullptr;
  }
  Guard([&] { RawClose(&tables_); });
  if (spi_) {
    spi_ = false;
    SpiFinish();
  }
}

int Ledger::RequireCreditType(const std::string& credit_type) {
  // A credit type never changes once created, so its scale is kept for the
  // backend's life - but only once its row is committed (a type created in
  // a transaction that rolls back must not linger), and keyed by the table's
  // OID (a reinstalled extension starts afresh).
  static std::map<std::pair<Oid, std::string>, int> committed_scales;
  OpenTable* t = Table(TableId::kCreditTypes);
  const Oid relid = RelationGetRelid(t->rel);
  if (auto it = committed_scales.find({relid, credit_type});
      it != committed_scales.end()) {
    return it->second;
  }
  const Oid index = Guard([] { return RawIndex("credit_types_pkey"); });
  const RawKeySpec key{1, F_TEXTEQ, TextDatum(credit_type)};
  const bool found = Guard([&] { return RawFetch(t, index, &key, 1, mode_); });
  if (!found) {
    throw LedgerError(ErrorCode::kUnknownCreditType,
                      "credit type \"" + credit_type + "\" does not exist", "",
                      "Create it first with credit_type_create().");
  }
  HeapTuple tuple = Guard([&] { return ExecCopySlotHeapTuple(t->slot); });
  const int scale = Read(t, tuple).Int32(At(t, credit_type_scale));
  const bool committed = Guard([&] {
    const TransactionId xmin = HeapTupleHeaderGetXmin(tuple->t_data);
    return HeapTupleHeaderXminFrozen(tuple->t_data) ||
           (!TransactionIdIsCurrentTransactionId(xmin) &&
            TransactionIdDidCommit(xmin));
  });
  if (committed) committed_scales[{relid, credit_type}] = scale;
  return scale;
}

std::optional<Wallet> Ledger::FindWallet(const std::string& customer_id,
                                         const std::string& credit_type,
                                         bool lock, bool skip_locked) {
  OpenTable* t = Table(TableId::kWallets);
  const Oid index = Guard([] { return RawIndex("wallets_customer_key"); });
  const RawKeySpec keys[2] = {{1, F_TEXTEQ, TextDatum(customer_id)},
                              {2, F_TEXTEQ, TextDatum(credit_type)}};
  if (lock && mode_ == ReadMode::kReadOnly) {
    throw LedgerError(ErrorCode::kInternal, "a read-only ledger cannot lock");
  }
  if (!Guard([&] { return RawFetch(t, index, keys, 2, mode_); })) {
    return std::nullopt;
  }
  if (lock) {
    const RawLockResult r = Guard([&] { return RawLock(t, skip_locked); });
    if (r != kLocked) return std::nullopt;
  }
  Wallet w;
  w.tuple = Guard([&] { return ExecCopySlotHeapTuple(t->slot); });
  w.customer_id = customer_id;
  w.credit_type = credit_type;
  w.scale = RequireCreditType(credit_type);
  Row row = Read(t, w.tuple);
  w.wallet_id = row.Int64(At(t, wallets::wallet_id));
  w.balance = row.Units(At(t, wallets::balance), w.scale);
  w.debt = row.Units(At(t, wallets::debt), w.scale);
  w.policy.limit = row.OptUnits(At(t, wallets::overdraft_limit), w.scale);
  w.last_seq = row.Int64(At(t, wallets::last_seq));
  // Only a hand-edited row gets here; seq arithmetic must stay in range.
  if (w.last_seq < 0 || w.last_seq > INT64_MAX / 2) {
    throw LedgerError(ErrorCode::kInternal,
                      "wallet " + std::to_string(w.wallet_id) +
                          " has an impossible last_seq",
                      "last_seq is " + std::to_string(w.last_seq) +
                          "; credit_verify() reports the damage.");
  }
  w.last_hash = row.Bytes(At(t, wallets::last_hash)).value_or(kGenesisHash);
  w.thresholds = row.UnitsArray(At(t, wallets::thresholds), w.scale);
  w.alerts.fired = row.UnitsArray(At(t, wallets::alerted), w.scale);
  w.alerts.depleted = row.Bool(At(t, wallets::depleted));
  const AttrNumber latest =
      Guard([&] { return OptCol(t->rel, wallets::latest_effective_at); });
  w.latest_effective_tracked = latest != InvalidAttrNumber;
  if (w.latest_effective_tracked)
    w.latest_effective_at = row.OptTimestamp(latest);
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

void Ledger::OpenBlocks(
    const Wallet& wallet, Micros now, bool lapsed,
    const std::function<void(const Row&, ItemPointerData)>& visit) {
  OpenTable* t = Table(TableId::kGrants);
  const Oid index = Guard([] { return RawIndex("grants_open_idx"); });
  const RawKeySpec keys[2] = {
      {1, F_INT8EQ, Int64GetDatum(wallet.wallet_id)},
      lapsed ? RawKeySpec{2, F_TIMESTAMPTZ_LE, TimestampTzGetDatum(now),
                          BTLessEqualStrategyNumber}
             : RawKeySpec{2, F_TIMESTAMPTZ_GT, TimestampTzGetDatum(now),
                          BTGreaterStrategyNumber}};
  MemoryContext row_memory = RowMemory();
  RawScan scan;
  Guard([&] { RawScanBegin(t, index, keys, 2, mode_, &scan); });
  while (Guard([&] { return RawScanNext(t, &scan); })) {
    RowScope row(row_memory);
    HeapTuple tuple =
        Guard([&] { return ExecFetchSlotHeapTuple(t->slot, false, nullptr); });
    Row r = Read(t, tuple);
    if (r.Text(At(t, grants::customer_id)) == wallet.customer_id) {
      visit(r, tuple->t_self);
    }
  }
  Guard([&] { RawScanEnd(t, &scan); });
}

std::vector<OpenGrant> Ledger::ReadOpenGrants(const Wallet& wallet,
                                              Micros now) {
  OpenTable* t = Table(TableId::kGrants);
  std::vector<OpenGrant> out;
  OpenBlocks(wallet, now, false, [&](const Row& r, ItemPointerData tid) {
    OpenGrant g;
    g.row = PackTid(tid);
    g.state.grant_id = r.Int64(At(t, grants::grant_id));
    g.state.priority = r.Int32(At(t, grants::priority));
    g.state.effective_at = r.Timestamp(At(t, grants::effective_at));
    g.state.expires_at =
        r.OptTimestamp(At(t, grants::expires_at)).value_or(kNever);
    g.state.promotional = r.Bool(At(t, grants::promotional));
    g.state.remaining = r.Units(At(t, grants::remaining), wallet.scale);
    g.cost_basis = r.NumericText(At(t, grants::cost_basis));
    out.push_back(std::move(g));
  });
  return out;
}

void Ledger::SaveRemaining(const Wallet& wallet,
                           const std::vector<OpenGrant>& before,
                           const std::vector<std::int64_t>& remaining_after) {
  OpenTable* t = Table(TableId::kGrants);
  bool prepared = false;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (remaining_after[i] == before[i].state.remaining) continue;
    if (!prepared) Guard([&] { RawPrepareWrite(&tables_, t); });
    prepared = true;
    CheckForInterrupts();
    if (!before[i].row) {
      throw LedgerError(ErrorCode::kInternal,
                        "a grant to update was not read from the table");
    }
    RowScope row(RowMemory());
    HeapTuple old =
        Guard([&] { return RawFetchVersion(t, UnpackTid(*before[i].row)); });
    RowWriter(t)
        .Units(grants::remaining, remaining_after[i], wallet.scale)
        .Bool(grants::open, remaining_after[i] > 0)
        .Update(&tables_, old);
  }
}

std::int64_t Ledger::Spendable(const Wallet& wallet, Micros now) {
  const bool none_scheduled =
      wallet.latest_effective_tracked &&
      (!wallet.latest_effective_at || *wallet.latest_effective_at <= now);
  if (!none_scheduled) {
    return SpendableBalance(PlannerState(wallet, ReadOpenGrants(wallet, now)),
                            now);
  }
  // The other range of grants_open_idx: the wallet's open blocks that lapsed
  // by now (usually none: the sweep closes them).
  OpenTable* t = Table(TableId::kGrants);
  std::int64_t lapsed = 0;
  OpenBlocks(wallet, now, true, [&](const Row& r, ItemPointerData) {
    lapsed = AddUnits(lapsed, r.Units(At(t, grants::remaining), wallet.scale));
  });
  return SpendableFromLedger(wallet.balance, lapsed);
}

void Ledger::InsertGrant(Wallet& wallet, const NewGrant& g, Datum metadata,
                         bool metadata_null, Micros now) {
  if (!wallet.latest_effective_at ||
      g.effective_at > *wallet.latest_effective_at) {
    wallet.latest_effective_at = g.effective_at;
  }
  OpenTable* t = Table(TableId::kGrants);
  RowWriter(t)
      .Int64(grants::grant_id, g.grant_id)
      .Int64(grants::wallet_id, wallet.wallet_id)
      .Text(grants::customer_id, wallet.customer_id)
      .Text(grants::credit_type, wallet.credit_type)
      .Units(grants::amount, g.amount, wallet.scale)
      .Units(grants::remaining, g.remaining, wallet.scale)
      .Bool(grants::promotional, g.promotional)
      .Int32(grants::priority, g.priority)
      .Numeric(grants::cost_basis, g.cost_basis)
      .Timestamp(grants::effective_at, g.effective_at)
      .Timestamp(grants::expires_at, g.expires_at)
      .Units(grants::expired_amount, 0, wallet.scale)
      .Units(grants::voided_amount, 0, wallet.scale)
      .Text(grants::reason, g.reason)
      .Text(grants::source_id, g.source_id)
      .Jsonb(grants::metadata, metadata, metadata_null)
      .Text(grants::kind, g.kind)
      .Int64(grants::operation_id, g.operation_id)
      .Timestamp(grants::created_at, now)
      .Bool(grants::open, g.remaining > 0)
      .Insert(&tables_);
}

std::int64_t Ledger::NextGrantId() {
  return Guard([] { return RawNextval("grant_id_seq"); });
}

std::pair<std::string, std::string> Ledger::GrantOwner(std::int64_t grant_id) {
  UseSpi();
  Params p;
  p.Int64(grant_id);
  Rows rows = Execute(grant_owner, p, 1);
  if (rows.empty()) {
    throw LedgerError(ErrorCode::kNotFound,
                      "grant " + std::to_string(grant_id) + " does not exist");
  }
  return {rows[0].Text(1), rows[0].Text(2)};
}

GrantRow Ledger::ReadGrant(const Wallet& wallet, std::int64_t grant_id) {
  UseSpi();
  Params p;
  p.Int64(grant_id).Text(wallet.customer_id);
  Rows rows = Execute(read_grant, p, 1);
  if (rows.empty()) {
    throw LedgerError(ErrorCode::kNotFound,
                      "grant " + std::to_string(grant_id) + " does not exist");
  }
  Row r = rows[0];
  GrantRow g;
  g.grant_id = grant_id;
  g.amount = r.Units(1, wallet.scale);
  g.remaining = r.Units(2, wallet.scale);
  g.promotional = r.Bool(3);
  g.cost_basis = r.NumericText(4);
  g.expires_at = r.OptTimestamp(5).value_or(kNever);
  g.voided_at = r.OptTimestamp(6);
  g.expired_at = r.OptTimestamp(7);
  g.expired_amount = r.Units(8, wallet.scale);
  g.voided_amount = r.Units(9, wallet.scale);
  g.priority = r.Int32(10);
  g.effective_at = r.Timestamp(11);
  return g;
}

void Ledger::SaveGrant(const Wallet& wallet, const GrantRow& g) {
  UseSpi();
  Params p;
  p.Int64(g.grant_id)
      .Text(wallet.customer_id)
      .Units(g.remaining, wallet.scale)
      .Units(g.expired_amount, wallet.scale)
      .Units(g.voided_amount, wallet.scale)
      .Timestamp(g.voided_at)
      .Timestamp(g.expired_at);
  Execute(save_grant, p);
}

std::optional<StoredOperation>
Ledger::FindReplay(const OperationRequest& request) {
  if (!request.idempotency_key) return std::nullopt;
  OpenTable* t = Table(TableId::kOperations);
  const Oid index = Guard([] { return RawIndex("operations_key_idx"); });
  const RawKeySpec keys[2] = {
      {1, F_TEXTEQ, TextDatum(request.customer_id)},
      {2, F_BYTEAEQ, BytesDatum(KeyHash(*request.idempotency_key))}};
  if (!Guard([&] { return RawFetch(t, index, keys, 2, mode_); })) {
    return std::nullopt;
  }
  HeapTuple tuple = Guard([&] { return ExecCopySlotHeapTuple(t->slot); });
  Row r = Read(t, tuple);
  StoredOperation op;
  op.operation_id = r.Int64(At(t, operations::operation_id));
  op.operation_type = r.Text(At(t, operations::operation_type));
  op.request_hash = r.Bytes(At(t, operations::request_hash));
  op.amount = r.NumericText(At(t, operations::amount));
  op.balance = r.NumericText(At(t, operations::balance));
  op.grant_id = r.OptInt64(At(t, operations::grant_id));
  CheckSameRequest(op.operation_type, op.request_hash, op.operation_id,
                   request.operation_type, request.request_hash,
                   request.customer_id);
  return op;
}

std::optional<std::int64_t>
Ledger::InsertOperation(const OperationRequest& request,
                        const OperationResult& result) {
  std::optional<Digest> key_hash;
  if (request.idempotency_key) key_hash = KeyHash(*request.idempotency_key);
  OpenTable* t = Table(TableId::kOperations);
  const std::int64_t id = Guard([] { return RawNextval("operation_id_seq"); });
  RowWriter row(t);
  row.Int64(operations::operation_id, id)
      .Text(operations::customer_id, request.customer_id)
      .Int64(operations::wallet_id, result.wallet_id)
      .Text(operations::credit_type, result.credit_type)
      .Text(operations::operation_type, request.operation_type)
      .Text(operations::idempotency_key, request.idempotency_key)
      .Bytes(operations::key_hash, key_hash)
      .Bytes(operations::request_hash,
             key_hash ? std::optional<Digest>(request.request_hash)
                      : std::nullopt)
      .Units(operations::amount, result.amount, result.scale)
      .Units(operations::balance, result.balance, result.scale)
      .Int64(operations::grant_id, result.grant_id)
      .Int64(operations::reverses_operation_id, result.reverses_operation_id)
      .Int64(operations::first_seq, result.first_seq)
      .Int64(operations::last_seq, result.last_seq)
      .Timestamp(operations::created_at, result.created_at);
  if (!key_hash) {
    row.Insert(&tables_);
    return id;
  }
  // A concurrent call with the same key is waited for; if it committed, this
  // call replays it instead of applying again.
  const Oid arbiter = Guard([] { return RawIndex("operations_key_idx"); });
  if (row.InsertUnlessConflict(&tables_, arbiter)) return id;
  return std::nullopt;
}

StoredOperation Ledger::ReplayAfterConflict(const OperationRequest& request) {
  if (auto op = FindReplay(request)) return *op;
  Guard([] {
    ereport(ERROR,
            (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
             errmsg("could not serialize access due to a concurrent use of the "
                    "same idempotency key")));
  });
  throw LedgerError(ErrorCode::kInternal, "unreachable");
}

OperationRef Ledger::FindOperation(std::int64_t operation_id) {
  UseSpi();
  Params p;
  p.Int64(operation_id);
  Rows rows = Execute(find_operation_by_id, p, 1);
  if (rows.empty()) {
    throw LedgerError(ErrorCode::kNotFound, "operation " +
                                                std::to_string(operation_id) +
                                                " does not exist");
  }
  Row r = rows[0];
  OperationRef op;
  op.operation_id = operation_id;
  op.customer_id = r.Text(1);
  op.credit_type = r.Text(2);
  op.operation_type = r.Text(3);
  op.first_seq = r.Int64(4);
  op.last_seq = r.Int64(5);
  return op;
}

UsageEntries Ledger::ReadUsage(const Wallet& wallet,
                               const OperationRef& operation) {
  UseSpi();
  Params p;
  p.Int64(wallet.wallet_id)
      .Text(wallet.customer_id)
      .Int64(operation.first_seq)
      .Int64(operation.last_seq);
  Rows rows = Execute(usage_entries, p);
  UsageEntries out;
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    Row r = rows[i];
    out.portions.push_back(
        UsagePortion{r.OptInt64(1), -r.Units(2, wallet.scale)});
    if (i == 0) {
      out.feature = r.OptText(3);
      out.source_id = r.OptText(4);
    }
  }
  return out;
}

std::int64_t Ledger::ReversedSoFar(const Wallet& wallet,
                                   std::int64_t operation_id) {
  UseSpi();
  Params p;
  p.Text(wallet.customer_id).Int64(operation_id);
  Rows rows = Execute(reversed_so_far, p, 1);
  return rows[0].Units(1, wallet.scale);
}

void Ledger::AppendEntries(Wallet& wallet, const EntryContext& ctx,
                           const std::vector<EntryDraft>& drafts) {
  if (drafts.empty()) return;
  OpenTable* t = Table(TableId::kEntries);
  Guard([&] { RawPrepareWrite(&tables_, t); });
  for (const EntryDraft& d : drafts) {
    CheckForInterrupts();  // a drawdown over many grants stays cancellable
    RowScope row(RowMemory());
    EntryRecord e;
    e.wallet_id = wallet.wallet_id;
    e.seq = wallet.last_seq + 1;
    e.type = d.type;
    e.amount = d.amount;
    if (d.cost_basis)
      e.value = MoneyValue(d.amount, wallet.scale, *d.cost_basis);
    e.balance_after = AddUnits(wallet.balance, d.amount);
    e.grant_id = d.grant_id;
    e.operation_id = ctx.operation_id;
    e.promotional = d.promotional;
    e.customer_id = wallet.customer_id;
    e.credit_type = wallet.credit_type;
    e.feature = ctx.feature;
    e.source_id = ctx.source_id;
    e.reason = ctx.reason;
    e.actor = ctx.actor;
    e.metadata = ctx.metadata_text;
    e.occurred_at = d.occurred_at.value_or(ctx.occurred_at);
    e.created_at = ctx.now;
    const Digest hash = ChainHash(wallet.last_hash, e);

    RowWriter(t)
        .Int64(entries::entry_id,
               Guard([] { return RawNextval("entry_id_seq"); }))
        .Int64(entries::wallet_id, e.wallet_id)
        .Text(entries::customer_id, e.customer_id)
        .Text(entries::credit_type, e.credit_type)
        .Int64(entries::seq, e.seq)
        .Text(entries::entry_type, EntryTypeName(e.type))
        .Units(entries::amount, e.amount, wallet.scale)
        .Numeric(entries::value, e.value)
        .Units(entries::balance_after, e.balance_after, wallet.scale)
        .Int64(entries::grant_id, e.grant_id)
        .Int64(entries::operation_id, e.operation_id)
        .Bool(entries::promotional, e.promotional)
        .Text(entries::feature, e.feature)
        .Text(entries::source_id, e.source_id)
        .Text(entries::reason, e.reason)
        .Text(entries::actor, e.actor)
        .Jsonb(entries::metadata, ctx.metadata, ctx.metadata_null)
        .Timestamp(entries::occurred_at, e.occurred_at)
        .Timestamp(entries::created_at, e.created_at)
        .Bytes(entries::hash, hash)
        .Insert(&tables_);

    wallet.last_seq = e.seq;
    wallet.balance = e.balance_after;
    wallet.last_hash = hash;
    if (!d.grant_id) wallet.debt = SubUnits(wallet.debt, d.amount, "debt");
  }
}

void Ledger::SaveWallet(Wallet& wallet, Micros now) {
  if (wallet.tuple == nullptr) {
    throw LedgerError(ErrorCode::kInternal,
                      "saving a wallet that was not locked");
  }
  OpenTable* t = Table(TableId::kWallets);
  RowWriter row(t);
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
  row.Update(&tables_, wallet.tuple);
}

void Ledger::InsertEvents(const Wallet& wallet, std::int64_t operation_id,
                          Micros now, const std::vector<PendingEvent>& events) {
  if (events.empty()) return;
  OpenTable* t = Table(TableId::kEvents);
  const bool notify = NotifyEvents();
  Guard([&] { RawPrepareWrite(&tables_, t); });
  for (const PendingEvent& e : events) {
    RowScope row(RowMemory());
    const std::int64_t id = Guard([] { return RawNextval("event_id_seq"); });
    const char* json = e.payload.c_str();
    const Datum payload = Guard(
        [&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(json)); });
    RowWriter(t)
        .Int64(events::event_id, id)
        .Text(events::event_type, e.type)
        .Text(events::customer_id, wallet.customer_id)
        .Text(events::credit_type, wallet.credit_type)
        .Int64(events::wallet_id, wallet.wallet_id)
        .Int64(events::operation_id, operation_id)
        .Set(events::payload, payload)
        .Timestamp(events::created_at, now)
        .Int32(events::attempts, 0)
        .Insert(&tables_);
    if (notify) {
      const std::string channel_payload = std::to_string(id);
      const char* text = channel_payload.c_str();
      Guard([&] { Async_Notify("credit_ledger_events", text); });
    }
  }
}

std::string MoneyValue(std::int64_t units, int scale,
                       const std::string& cost_basis) {
  const char* basis = cost_basis.c_str();
  const char* text = Guard([&] {
    Datum amount = NumericGetDatum(int64_div_fast_to_numeric(units, scale));
    Datum rate =
        DirectFunctionCall3(numeric_in, CStringGetDatum(basis),
                            ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
    Datum product = DirectFunctionCall2(numeric_mul, amount, rate);
    return DatumGetCString(DirectFunctionCall1(numeric_out, product));
  });
  return text;
}

std::string UnitsArrayText(const std::vector<std::int64_t>& units, int scale) {
  std::string out = "{";
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (i > 0) out += ',';
    out += FormatAmount(units[i], scale);
  }
  return out + "}";
}

}  // namespace credit_ledger::pg
