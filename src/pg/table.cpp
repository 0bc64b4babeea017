#include "table.hpp"

#include "error.hpp"
#include "guard.hpp"
#include "relations.hpp"

extern "C" {
#include "access/transam.h"
#include "utils/fmgroids.h"
}

namespace credit_ledger::pg {
namespace {

// A row's tid as a RowId, and back.
RowId PackTid(ItemPointerData tid) {
  return (std::uint64_t{ItemPointerGetBlockNumberNoCheck(&tid)} << 16) |
         ItemPointerGetOffsetNumberNoCheck(&tid);
}

ItemPointerData UnpackTid(RowId row) {
  ItemPointerData tid;
  ItemPointerSet(&tid, static_cast<BlockNumber>(row >> 16),
                 static_cast<OffsetNumber>(row & 0xffff));
  return tid;
}

// The attribute number of `column`: the cached one when the layout still
// has it there (no PostgreSQL call that can fail), else looked up again.
AttrNumber Attnum(Relation rel, ColumnRef& column, bool required) {
  const AttrNumber n = OptCol(rel, column);
  if (n != InvalidAttrNumber || !required) return n;
  return Guard([&] { return RawColumn(rel, column.name); });
}

}  // namespace

IndexKey IndexKey::Text(AttrNumber column, std::string_view value) {
  return IndexKey{column, F_TEXTEQ, TextDatum(value)};
}

IndexKey IndexKey::Int64(AttrNumber column, std::int64_t value) {
  return IndexKey{column, F_INT8EQ, Int64GetDatum(value)};
}

IndexKey IndexKey::Bytes(AttrNumber column, const Digest& value,
                         std::size_t length) {
  return IndexKey{column, F_BYTEAEQ, BytesDatum(value, length)};
}

IndexKey IndexKey::TimestampAfter(AttrNumber column, Micros value) {
  return IndexKey{column, F_TIMESTAMPTZ_GT, TimestampTzGetDatum(value),
                  BTGreaterStrategyNumber};
}

IndexKey IndexKey::TimestampAtOrBefore(AttrNumber column, Micros value) {
  return IndexKey{column, F_TIMESTAMPTZ_LE, TimestampTzGetDatum(value),
                  BTLessEqualStrategyNumber};
}

IndexKey IndexKey::IsNull(AttrNumber column) {
  return IndexKey{column, InvalidOid, 0, BTEqualStrategyNumber, true};
}

IndexKey IndexKey::IsNotNull(AttrNumber column) {
  return IndexKey{column, InvalidOid, 0, BTEqualStrategyNumber, false, true};
}

Tables::Tables(ReadMode mode) : mode_(mode) {}

Tables::~Tables() = default;

void Tables::ForCustomer(std::string_view customer_id) {
  customer_.assign(customer_id);
  has_customer_ = true;
}

Table Tables::Open(TableId id) {
  if (!open_) open_ = std::make_unique<OpenTables>();
  OpenTables* open = open_.get();
  const char* customer = has_customer_ ? customer_.c_str() : nullptr;
  const bool writing = mode_ == ReadMode::kWriting;
  return Table(this,
               Guard([&] { return RawTable(open, id, customer, writing); }));
}

void Tables::Close() {
  if (row_memory_ != nullptr) {
    MemoryContext memory = row_memory_;
    row_memory_ = nullptr;
    Guard([&] { MemoryContextDelete(memory); });
  }
  if (open_) {
    OpenTables* open = open_.get();
    Guard([&] { RawClose(open); });
  }
}

MemoryContext Tables::RowMemory() {
  if (row_memory_ == nullptr) {
    row_memory_ = Guard([] {
      return AllocSetContextCreate(CurrentMemoryContext, "credit_ledger row",
                                   ALLOCSET_DEFAULT_SIZES);
    });
  }
  return row_memory_;
}

RowScope::RowScope(Tables& tables) : caller_(CurrentMemoryContext) {
  MemoryContext row = tables.RowMemory();
  if (caller_ == row) {
    throw LedgerError(ErrorCode::kInternal, "row scopes cannot nest");
  }
  Guard([&] { MemoryContextReset(row); });
  MemoryContextSwitchTo(row);
}

RowScope::~RowScope() {
  MemoryContextSwitchTo(caller_);
}

Oid Table::Relid() const {
  return RelationGetRelid(table_->rel);
}

AttrNumber Table::At(ColumnRef& column) const {
  return Attnum(table_->rel, column, true);
}

AttrNumber Table::OptAt(ColumnRef& column) const {
  return Attnum(table_->rel, column, false);
}

bool Table::Fetch(const char* index, const IndexKey* keys, int nkeys) {
  OpenTable* t = table_;
  const ReadMode mode = tables_->mode();
  return Guard(
      [&] { return RawFetch(t, RawTableIndex(t, index), keys, nkeys, mode); });
}

bool Table::KeyTaken(const char* index, const IndexKey* keys, int nkeys) {
  OpenTable* t = table_;
  return Guard(
      [&] { return RawKeyTaken(t, RawTableIndex(t, index), keys, nkeys); });
}

LockResult Table::Lock(bool skip_locked) {
  if (tables_->mode() == ReadMode::kReadOnly) {
    throw LedgerError(ErrorCode::kInternal, "a read-only ledger cannot lock");
  }
  OpenTable* t = table_;
  const RawLockResult r = Guard([&] { return RawLock(t, skip_locked); });
  switch (r) {
  case kLocked:
    return LockResult::kLocked;
  case kSkipped:
    return LockResult::kSkipped;
  default:
    return LockResult::kGone;
  }
}

StoredRow Table::CopyCurrent() {
  OpenTable* t = table_;
  return Guard([&] { return ExecCopySlotHeapTuple(t->slot); });
}

bool Table::InsertCommitted(StoredRow row) const {
  return Guard([&] {
    const TransactionId xmin = HeapTupleHeaderGetXmin(row->t_data);
    return HeapTupleHeaderXminFrozen(row->t_data) ||
           (!TransactionIdIsCurrentTransactionId(xmin) &&
            TransactionIdDidCommit(xmin));
  });
}

Row Table::Read(StoredRow row) const {
  return Row(row, RelationGetDescr(table_->rel));
}

Table::ScanState Table::ScanBegin(const char* index, const IndexKey* keys,
                                  int nkeys) {
  OpenTable* t = table_;
  const ReadMode mode = tables_->mode();
  RawScan raw;
  Guard([&] {
    RawScanBegin(t, RawTableIndex(t, index), keys, nkeys, mode, &raw);
  });
  return ScanState{raw.scan, raw.snapshot};
}

HeapTuple Table::ScanNext(ScanState* scan) {
  OpenTable* t = table_;
  RawScan raw{scan->scan, scan->snapshot};
  return Guard([&]() -> HeapTuple {
    if (!RawScanNext(t, &raw)) return nullptr;
    return ExecFetchSlotHeapTuple(t->slot, false, nullptr);
  });
}

void Table::ScanEnd(ScanState* scan) {
  OpenTable* t = table_;
  RawScan raw{scan->scan, scan->snapshot};
  Guard([&] { RawScanEnd(t, &raw); });
  *scan = ScanState{};
}

RowId Table::IdOf(HeapTuple tuple) {
  return PackTid(tuple->t_self);
}

StoredRow Table::FetchVersion(RowId row) {
  OpenTable* t = table_;
  return Guard([&] { return RawFetchVersion(t, UnpackTid(row)); });
}

void Table::PrepareWrite() {
  OpenTables* open = tables_->open_.get();
  OpenTable* t = table_;
  Guard([&] { RawPrepareWrite(open, t); });
}

RowWriter::RowWriter(Tables* tables, OpenTable* table)
    : tables_(tables), table_(table) {
  Guard([&] {
    natts_ = RelationGetDescr(table_->rel)->natts;
    values_ = static_cast<Datum*>(palloc0(natts_ * sizeof(Datum)));
    nulls_ = static_cast<bool*>(palloc(natts_ * sizeof(bool)));
    replace_ = static_cast<bool*>(palloc0(natts_ * sizeof(bool)));
    memset(nulls_, true, natts_ * sizeof(bool));
  });
}

RowWriter& RowWriter::Set(ColumnRef& column, ::Datum value) {
  const AttrNumber n = Attnum(table_->rel, column, true);
  values_[n - 1] = value;
  nulls_[n - 1] = false;
  replace_[n - 1] = true;
  return *this;
}

RowWriter& RowWriter::Null(ColumnRef& column) {
  const AttrNumber n = Attnum(table_->rel, column, true);
  nulls_[n - 1] = true;
  replace_[n - 1] = true;
  return *this;
}

void RowWriter::Insert() {
  Guard([&] { RawInsert(tables_->open_.get(), table_, values_, nulls_); });
}

bool RowWriter::InsertUnlessConflict(const char* arbiter) {
  return Guard([&] {
    return RawInsertUnlessConflict(tables_->open_.get(), table_, values_,
                                   nulls_, RawTableIndex(table_, arbiter));
  });
}

void RowWriter::Update(StoredRow old) {
  Guard([&] {
    RawUpdate(tables_->open_.get(), table_, old, values_, nulls_, replace_);
  });
}

std::int64_t NextVal(const char* sequence) {
  return Guard([&] { return RawNextval(sequence); });
}

bool CustomerIsLocal(const std::string& customer) {
  const char* text = customer.c_str();
  return Guard([&] { return RawCustomerIsLocal(text); });
}

void Notify(const char* channel, const std::string& payload) {
  const char* text = payload.c_str();
  Guard([&] { Async_Notify(channel, text); });
}

void RaiseSerializationFailure(const char* message) {
  Guard([&] {
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("%s", message)));
  });
  throw LedgerError(ErrorCode::kInternal, "unreachable");
}

}  // namespace credit_ledger::pg
