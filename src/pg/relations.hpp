// The raw calls behind table.hpp: heap and index access through the table
// AM, the executor's index maintenance and snapshots. Only table.cpp
// includes this; everything else uses table.hpp, whose calls guard
// themselves.
//
// Everything declared here calls PostgreSQL and may ereport: call it only
// under Guard. The types are plain data, so a longjmp through them skips
// nothing; relations and scans left open by an error are released by the
// transaction's abort.
#pragma once

#include "postgres.hpp"
#include "read_mode.hpp"
#include "table.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "storage/lmgr.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace credit_ledger::pg {

// One table opened for the current operation.
struct OpenTable {
  Relation rel = nullptr;
  ResultRelInfo* rri = nullptr;    // indexes opened for writing, on first write
  TupleTableSlot* slot = nullptr;  // for scans
  TupleTableSlot* wslot = nullptr;  // for tuples being written
  bool indexes_open = false;        // rri's indexes, opened on first need
  int64 shardid = 0;  // the Citus shard rel is (citus.hpp), or 0: the table
  // Indexes this operation scanned, opened once each (RawClose closes them):
  // a batch looks keys up thousands of times.
  static constexpr int kScanIndexes = 8;
  Oid scan_index_oids[kScanIndexes] = {};
  Relation scan_indexes[kScanIndexes] = {};
  int scan_index_count = 0;
};

// The tables one operation has opened, and the executor state index
// maintenance needs. Close() releases them; an error leaves that to the
// transaction abort.
struct OpenTables {
  OpenTable tables[kTableCount];
  EState* estate = nullptr;
};

// Opens (once per operation) a ledger table by id: on a Citus node, the
// local shard of `customer` (nullptr: none known), see citus.hpp; `writing`
// takes the lock Citus's executor takes before writing a shard.
OpenTable* RawTable(OpenTables* open, TableId id, const char* customer,
                    bool writing);

// Whether the customer's wallets shard is on this node (always on a plain
// server): see CitusIsLocal.
bool RawCustomerIsLocal(const char* customer);

// The OID of an index of the credit_ledger schema, by name, of the relation
// `table` opened (its shard's index on Citus).
Oid RawTableIndex(const OpenTable* table, const char* name);

// The attribute number of a column, by name (errors if it is missing).
AttrNumber RawColumn(Relation rel, const char* name);
// The same, or InvalidAttrNumber for a column the table does not have (one
// an older version's schema lacks).
AttrNumber RawFindColumn(Relation rel, const char* name);

// A column by reference (table.hpp), looked up again only when the
// table's layout changed.
AttrNumber Col(Relation rel, ColumnRef& column);
// The same, or InvalidAttrNumber when the table has no such column.
AttrNumber OptCol(Relation rel, ColumnRef& column);

// Fetches the first visible tuple matching `keys` in index `index_oid` into
// the table's slot; false if there is none.
bool RawFetch(OpenTable* table, Oid index_oid, const IndexKey* keys, int nkeys,
              ReadMode mode);

// An index scan over every visible match, one at a time: RawScanBegin, then
// RawScanNext until it returns false (each match in the table's slot, valid
// until the next call), then RawScanEnd. Nothing is copied, so a scan over
// many rows holds one at a time.
struct RawScan {
  IndexScanDesc scan = nullptr;
  Snapshot snapshot = nullptr;
};
void RawScanBegin(OpenTable* table, Oid index_oid, const IndexKey* keys,
                  int nkeys, ReadMode mode, RawScan* scan);
bool RawScanNext(OpenTable* table, RawScan* scan);
void RawScanEnd(OpenTable* table, RawScan* scan);

// A copy of the row version at `tid`, one this operation read (and the
// wallet lock keeps current), for RawUpdate.
HeapTuple RawFetchVersion(OpenTable* table, ItemPointerData tid);

// Outcome of RawLock.
enum RawLockResult { kLocked = 0, kSkipped = 1, kGone = 2 };

// Locks the tuple in the slot as SELECT ... FOR UPDATE would: waits for (or,
// with skip_locked, skips) a concurrent holder; in READ COMMITTED follows an
// update chain to the newest version and leaves it in the slot; under
// REPEATABLE READ or SERIALIZABLE a row updated after the snapshot raises
// 40001, or with skip_locked is skipped like a held one.
RawLockResult RawLock(OpenTable* table, bool skip_locked);

// Prepares a table for RawInsert and RawUpdate (its write lock, executor
// state and slot) in the current memory context. Done on the first write
// anyway; call it first when the writes run in a context that is reset
// between rows. (Indexes, opened on the first write that needs them, live in
// the executor state's memory.)
void RawPrepareWrite(OpenTables* open, OpenTable* table);

// Inserts a row (values by attribute, 0-based) and its index entries.
void RawInsert(OpenTables* open, OpenTable* table, Datum* values, bool* nulls);

// Replaces columns of `old` (replace[i] marks which) and maintains indexes
// if the update could not be HOT.
void RawUpdate(OpenTables* open, OpenTable* table, HeapTuple old, Datum* values,
               bool* nulls, bool* replace);

// Closes everything RawTable opened.
void RawClose(OpenTables* open);

// nextval() of a sequence of the credit_ledger schema.
int64 RawNextval(const char* sequence);

// Inserts a row unless it conflicts on the unique index `arbiter_index`, as
// INSERT ... ON CONFLICT DO NOTHING does: waits for an in-progress inserter
// of the same key, then inserts speculatively. False if a committed row
// holds the key.
bool RawInsertUnlessConflict(OpenTables* open, OpenTable* table, Datum* values,
                             bool* nulls, Oid arbiter_index);

// Whether a row matching `keys` in index `index_oid` exists, committed or
// inserted by this transaction; waits for the end of a transaction in
// progress that inserted one, as a unique index's check does.
bool RawKeyTaken(OpenTable* table, Oid index_oid, const IndexKey* keys,
                 int nkeys);

}  // namespace credit_ledger::pg
