// The ledger's tables, read and written directly (no plan, no executor per
// statement): index lookups and scans, row locks with SELECT ... FOR UPDATE
// semantics, inserts and updates that maintain indexes (HOT where possible)
// and INSERT ... ON CONFLICT DO NOTHING. This is the one table-access layer
// of the glue: every call guards itself (an ereport becomes a PgError, as in
// guard.hpp), and snapshots, the executor state, index maintenance and
// memory per row stay behind it (table.cpp over relations.cpp), so callers
// read like plain C++.
//
// A Tables holds what one operation opened; Close() releases it, and an
// error leaves that to the transaction abort.
#pragma once

#include "datum.hpp"
#include "postgres.hpp"
#include "read_mode.hpp"
#include "sha256.hpp"
#include "time.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

extern "C" {
#include "access/genam.h"
#include "access/stratnum.h"
}

namespace credit_ledger::pg {

struct OpenTable;   // relations.hpp
struct OpenTables;  // relations.hpp

enum class TableId {
  kCreditTypes,
  kWallets,
  kGrants,
  kOperations,
  kEntries,
  kEvents,
  kPrices  // 1.2; a reference table on Citus
};
constexpr int kTableCount = 7;

// A column looked up by name once per backend and revalidated by name on
// every use (an upgrade can change a table's layout under a live backend).
struct ColumnRef {
  const char* name;
  AttrNumber attnum = InvalidAttrNumber;
};

// "Index column `column` <strategy> `value`", compared with `proc`; with
// is_null, "column IS NULL" instead. Build one with the named constructors.
struct IndexKey {
  AttrNumber column;
  RegProcedure proc;
  ::Datum value;
  StrategyNumber strategy = BTEqualStrategyNumber;
  bool is_null = false;
  bool not_null = false;  // "column IS NOT NULL"

  static IndexKey Text(AttrNumber column, std::string_view value);
  static IndexKey Int64(AttrNumber column, std::int64_t value);
  // The first `length` bytes of a digest (all of it by default).
  static IndexKey Bytes(AttrNumber column, const Digest& value,
                        std::size_t length = kDigestBytes);
  static IndexKey TimestampAfter(AttrNumber column, Micros value);
  static IndexKey TimestampAtOrBefore(AttrNumber column, Micros value);
  static IndexKey IsNull(AttrNumber column);
  static IndexKey IsNotNull(AttrNumber column);
};

// Where a row read by a scan is stored (its tid), as an opaque handle the
// core can carry (OpenGrant::row) until the row is updated.
using RowId = std::uint64_t;

// A copy of a row version, kept until the operation ends (for Update).
using StoredRow = HeapTuple;

// Outcome of Table::Lock.
enum class LockResult { kLocked, kSkipped, kGone };

class Tables;
class RowWriter;

// One table opened for the current operation. A cheap handle: copy it.
class Table {
 public:
  Table(Tables* tables, OpenTable* table) : tables_(tables), table_(table) {}

  // The table's OID (stable for the extension's life).
  Oid Relid() const;

  // The attribute number of a column; errors if the table has no such
  // column (OptAt: InvalidAttrNumber instead, for a column an older
  // version's schema lacks).
  AttrNumber At(ColumnRef& column) const;
  AttrNumber OptAt(ColumnRef& column) const;

  // Whether a row matching `keys` in the unique `index` exists, committed
  // or written by this transaction; waits for a transaction in progress
  // that wrote one to end (as a unique index's check does). For a key that
  // must be unique across two indexes: each writer inserts into its own,
  // then looks into the other.
  bool KeyTaken(const char* index, const IndexKey* keys, int nkeys);

  // Finds the first visible row matching `keys` in `index` (an index of the
  // credit_ledger schema, by name) and makes it the current row; false if
  // there is none.
  bool Fetch(const char* index, const IndexKey* keys, int nkeys);

  // Locks the current row as SELECT ... FOR UPDATE would: waits for (or,
  // with skip_locked, skips) a concurrent holder; in READ COMMITTED follows
  // an update chain to the newest version and makes it current; under
  // REPEATABLE READ or SERIALIZABLE a row updated after the snapshot raises
  // 40001, or with skip_locked is skipped like a held one.
  LockResult Lock(bool skip_locked);

  // A copy of the current row, for reading and a later Update.
  StoredRow CopyCurrent();

  // Whether the transaction that inserted `row` committed (and is not this
  // one): a row that cannot roll back any more.
  bool InsertCommitted(StoredRow row) const;

  // Reads a row column by column.
  Row Read(StoredRow row) const;

  // Calls visit(const Row&, RowId) with each visible row matching `keys`
  // in `index`, in the index's order, one at a time in the operation's row
  // memory (valid during the call only: copy out what is kept). A visit
  // that returns bool ends the scan by returning false.
  template <typename Visit>
  void Scan(const char* index, const IndexKey* keys, int nkeys, Visit&& visit);

  // The version of a row a scan returned, copied, for Update. The wallet
  // lock keeps it current.
  StoredRow FetchVersion(RowId row);

  // Prepares the table for writing (its write lock, executor state and
  // slot) in the current memory context: done on the first write anyway;
  // call it before writing rows in row scopes.
  void PrepareWrite();

  // A row to insert, or the columns of a row to replace.
  RowWriter Write();

 private:
  friend class RowWriter;
  // The scan behind Scan: ScanBegin, then ScanNext (in a row scope) until it
  // returns nullptr, then ScanEnd.
  struct ScanState {
    IndexScanDesc scan = nullptr;
    Snapshot snapshot = nullptr;
  };
  ScanState ScanBegin(const char* index, const IndexKey* keys, int nkeys);
  HeapTuple ScanNext(ScanState* scan);
  void ScanEnd(ScanState* scan);
  static RowId IdOf(HeapTuple tuple);

  Tables* tables_;
  OpenTable* table_;
};

// The tables one operation opened, read with one ReadMode.
class Tables {
 public:
  // A read-only operation (STABLE functions) reads with the statement's
  // snapshot and never advances the command counter; it cannot lock.
  explicit Tables(ReadMode mode);
  ~Tables();  // frees C++ memory only; Close() releases the tables
  Tables(const Tables&) = delete;
  Tables& operator=(const Tables&) = delete;

  ReadMode mode() const { return mode_; }

  // The customer whose rows the operation reads and writes. On a Citus node
  // the customer tables open as that customer's local shard (citus.hpp), and
  // opening one before a customer is named is refused; on a plain server it
  // changes nothing.
  void ForCustomer(std::string_view customer_id);

  // Opens (once per operation) a ledger table.
  Table Open(TableId id);

  // Closes every table opened and frees the row memory.
  void Close();

  // The memory of one row read or written (see RowScope), created on first
  // use.
  MemoryContext RowMemory();

 private:
  friend class Table;
  friend class RowWriter;
  std::unique_ptr<OpenTables> open_;  // allocated on the first Open
  MemoryContext row_memory_ = nullptr;
  ReadMode mode_;
  std::string customer_;
  bool has_customer_ = false;
};

// Makes the operation's row memory current, emptied, until the scope ends:
// an operation that reads or writes many rows (a consume drawing from
// 100,000 blocks) holds the memory of one row at a time, not of all of them.
class RowScope {
 public:
  explicit RowScope(Tables& tables);
  ~RowScope();
  RowScope(const RowScope&) = delete;
  RowScope& operator=(const RowScope&) = delete;

 private:
  MemoryContext caller_;
};

// A row to insert, or the columns of a row to replace, by column. Values are
// converted as they are set.
class RowWriter {
 public:
  RowWriter(Tables* tables, OpenTable* table);

  RowWriter& Set(ColumnRef& column, ::Datum value);
  RowWriter& Null(ColumnRef& column);
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
  RowWriter& Bytes(ColumnRef& c, const std::optional<Digest>& v,
                   std::size_t length = kDigestBytes) {
    return v ? Set(c, BytesDatum(*v, length)) : Null(c);
  }
  RowWriter& Jsonb(ColumnRef& c, ::Datum jsonb, bool is_null) {
    return is_null ? Null(c) : Set(c, jsonb);
  }
  RowWriter& UnitsArray(ColumnRef& c, const std::vector<std::int64_t>& units,
                        int scale) {
    return Set(c, UnitsArrayDatum(units, scale));
  }

  // Inserts the row and its index entries.
  void Insert();
  // Inserts the row unless it conflicts on the unique index `arbiter` (by
  // name), as INSERT ... ON CONFLICT DO NOTHING does: waits for an
  // in-progress inserter of the same key, then inserts speculatively. False
  // if a committed row holds the key.
  bool InsertUnlessConflict(const char* arbiter);
  // Replaces the columns set of `old` (and points `old` at the new version);
  // maintains the indexes if the update could not be HOT.
  void Update(StoredRow old);

 private:
  Tables* tables_;
  OpenTable* table_;
  int natts_ = 0;
  ::Datum* values_ = nullptr;
  bool* nulls_ = nullptr;
  bool* replace_ = nullptr;
};

inline RowWriter Table::Write() {
  return RowWriter(tables_, table_);
}

template <typename Visit>
void Table::Scan(const char* index, const IndexKey* keys, int nkeys,
                 Visit&& visit) {
  ScanState scan = ScanBegin(index, keys, nkeys);
  // The scan's own memory is the caller's; only the rows live in row
  // memory, emptied before each.
  while (HeapTuple tuple = ScanNext(&scan)) {
    RowScope row_scope(*tables_);
    if constexpr (std::is_same_v<std::invoke_result_t<Visit, const Row&, RowId>,
                                 bool>) {
      if (!visit(Read(tuple), IdOf(tuple))) break;
    } else {
      visit(Read(tuple), IdOf(tuple));
    }
  }
  ScanEnd(&scan);
}

// nextval() of a sequence of the credit_ledger schema.
std::int64_t NextVal(const char* sequence);

// Whether the customer's rows are on this node: always on a plain server;
// on a Citus node, whether it holds the customer's shard (citus.hpp).
bool CustomerIsLocal(const std::string& customer);

// Queues NOTIFY `channel`, `payload` (delivered at commit).
void Notify(const char* channel, const std::string& payload);

// Raises 40001 (serialization failure) with `message`, as the executor does
// when a row it must see was changed or inserted after the snapshot.
[[noreturn]] void RaiseSerializationFailure(const char* message);

}  // namespace credit_ledger::pg
