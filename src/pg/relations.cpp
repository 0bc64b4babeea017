#include "relations.hpp"

#include "citus.hpp"
#include "settings.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "nodes/bitmapset.h"
#include "nodes/parsenodes.h"
#include "storage/lock.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
}

namespace credit_ledger::pg {
namespace {

// Since 1.2 the operations that are not standalone entries are kept in
// operation_rows (credit_ledger.operations is a view over it and the
// entries); a 1.0 or 1.1 installation, which runs this library until ALTER
// EXTENSION UPDATE, has them in the table credit_ledger.operations.
const char* const kTableNames[kTableCount] = {
    "credit_types", "wallets", "grants", "operation_rows",
    "entries",      "events",  "prices", "holds"};
constexpr const char* kLegacyOperations = "operations";

Oid LedgerNamespace() {
  Oid nsp = get_namespace_oid("credit_ledger", true);
  if (!OidIsValid(nsp)) {
    ereport(
        ERROR,
        (errcode(ERRCODE_UNDEFINED_SCHEMA),
         errmsg("schema \"credit_ledger\" does not exist"),
         errhint("Create the extension with CREATE EXTENSION credit_ledger.")));
  }
  return nsp;
}

// Relation OIDs by name, looked up once per backend. Any relcache
// invalidation (DROP EXTENSION sends them for every table) clears the cache.
struct CachedRelid {
  char name[NAMEDATALEN];
  Oid relid;
};
CachedRelid relid_cache[32];
int relid_cache_size = 0;
bool relid_callback_registered = false;

void ForgetRelids(Datum, Oid) {
  relid_cache_size = 0;
}

// The OID of a relation of the credit_ledger schema, or InvalidOid.
Oid FindLedgerRelid(const char* name) {
  for (int i = 0; i < relid_cache_size; ++i) {
    if (strcmp(relid_cache[i].name, name) == 0) return relid_cache[i].relid;
  }
  Oid relid = get_relname_relid(name, LedgerNamespace());
  if (!OidIsValid(relid)) return InvalidOid;
  if (!relid_callback_registered) {
    CacheRegisterRelcacheCallback(ForgetRelids, 0);
    relid_callback_registered = true;
  }
  if (relid_cache_size < static_cast<int>(lengthof(relid_cache))) {
    strlcpy(relid_cache[relid_cache_size].name, name, NAMEDATALEN);
    relid_cache[relid_cache_size].relid = relid;
    ++relid_cache_size;
  }
  return relid;
}

Oid LedgerRelid(const char* name) {
  const Oid relid = FindLedgerRelid(name);
  if (!OidIsValid(relid)) {
    ereport(ERROR,
            (errcode(ERRCODE_UNDEFINED_TABLE),
             errmsg("relation \"credit_ledger.%s\" does not exist", name)));
  }
  return relid;
}

// The name of ledger table i in the installed schema version.
const char* TableName(int i) {
  const char* name = kTableNames[i];
  if (i == static_cast<int>(TableId::kOperations) &&
      !OidIsValid(FindLedgerRelid(name))) {
    return kLegacyOperations;
  }
  return name;
}

// The executor state index maintenance needs, once per operation, with a
// range table of one entry per ledger table, as a statement's would have:
// index maintenance reads an update's changed columns from it
// (ExecGetUpdatedCols, see NoteUpdatedColumns).
void EnsureExecutorState(OpenTables* open) {
  if (open->estate != nullptr) return;
  open->estate = CreateExecutorState();
  MemoryContext caller = MemoryContextSwitchTo(open->estate->es_query_cxt);
  List* range_table = NIL;
  for (int i = 0; i < kTableCount; ++i) {
    RangeTblEntry* rte = makeNode(RangeTblEntry);
    rte->rtekind = RTE_RELATION;
    rte->relkind = RELKIND_RELATION;
    rte->rellockmode = RowExclusiveLock;
    range_table = lappend(range_table, rte);
  }
  ExecInitRangeTable(open->estate, range_table);
  MemoryContextSwitchTo(caller);
}

// Prepares the table for writing, once: the write lock, executor state and a
// slot. Its indexes are opened only when an index entry must be written.
void EnsureWriter(OpenTables* open, OpenTable* t) {
  if (t->rri != nullptr) return;
  LockRelationOid(RelationGetRelid(t->rel), RowExclusiveLock);
  EnsureExecutorState(open);
  const Index rti = static_cast<Index>(t - open->tables) + 1;
  exec_rt_fetch(rti, open->estate)->relid = RelationGetRelid(t->rel);
  ResultRelInfo* rri = makeNode(ResultRelInfo);
  InitResultRelInfo(rri, t->rel, rti, nullptr, 0);
  t->rri = rri;
  t->wslot =
      MakeSingleTupleTableSlot(RelationGetDescr(t->rel), &TTSOpsHeapTuple);
}

// Records the columns an update replaces in the table's range table entry,
// as UPDATE's plan does, so that index maintenance tells each index whether
// the update left its key unchanged (index_unchanged_by_update: the hint
// lets a btree delete old versions bottom-up instead of splitting a page).
void NoteUpdatedColumns(OpenTables* open, OpenTable* t, const bool* replace) {
  RangeTblEntry* rte = exec_rt_fetch(t->rri->ri_RangeTableIndex, open->estate);
  const int natts = RelationGetDescr(t->rel)->natts;
  MemoryContext caller = MemoryContextSwitchTo(open->estate->es_query_cxt);
  Bitmapset* columns = nullptr;
  for (int i = 0; i < natts; ++i) {
    if (replace[i]) {
      columns =
          bms_add_member(columns, i + 1 - FirstLowInvalidHeapAttributeNumber);
    }
  }
  MemoryContextSwitchTo(caller);
  if (bms_equal(columns, rte->updatedCols)) {
    bms_free(columns);
    return;
  }
  bms_free(rte->updatedCols);
  rte->updatedCols = columns;
  // Each index caches its answer; the columns changed, so ask again.
  for (int i = 0; i < t->rri->ri_NumIndices; ++i) {
    t->rri->ri_IndexRelationInfo[i]->ii_CheckedUnchanged = false;
  }
}

// Opens the table's indexes for inserting entries (speculative: its unique
// indexes can also serve as ON CONFLICT arbiters), once, in the executor
// state's memory (the caller's may be reset between rows).
void EnsureIndexes(OpenTables* open, OpenTable* t) {
  if (t->indexes_open) return;
  MemoryContext caller = MemoryContextSwitchTo(open->estate->es_query_cxt);
  ExecOpenIndices(t->rri, true);
  MemoryContextSwitchTo(caller);
  t->indexes_open = true;
}

// Refuses a NULL in a NOT NULL column, as the executor would (23502): direct
// writes skip defaults, so a column left unset must fail, not slip in.
void CheckNotNull(Relation rel, const bool* nulls) {
  TupleDesc desc = RelationGetDescr(rel);
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attnotnull && !att->attisdropped && nulls[i]) {
      ereport(ERROR,
              (errcode(ERRCODE_NOT_NULL_VIOLATION),
               errmsg("null value in column \"%s\" of relation \"%s\" violates "
                      "not-null constraint",
                      NameStr(att->attname), RelationGetRelationName(rel)),
               errtablecol(rel, att->attnum)));
    }
  }
}

// Evaluates the table's CHECK constraints (and NOT NULL again) on the tuple
// in the write slot, as the executor does for INSERT and UPDATE (23514): the
// direct path must not be able to store a row the table's definition forbids,
// such as a grant whose open flag disagrees with its remaining credits.
// Foreign keys stay unchecked: their rows are the ones this call locked.
// Only with credit_ledger.check_constraints on (see settings.hpp for why).
void EvaluateCheckConstraints(OpenTables* open, OpenTable* t) {
  if (!CheckConstraints()) return;
  if (RelationGetDescr(t->rel)->constr == nullptr) return;
  ExecConstraints(t->rri, t->wslot, open->estate);
  ResetPerTupleExprContext(open->estate);
}

// Inserts the index entries of the tuple in the write slot: a new row's, or
// (update) a new version's that could not be HOT.
void InsertIndexEntries(OpenTables* open, OpenTable* t, bool update) {
  EnsureIndexes(open, t);
  if (t->rri->ri_NumIndices > 0) {
    ExecInsertIndexTuples(t->rri, t->wslot, open->estate, update, false,
                          nullptr, NIL);
  }
  ResetPerTupleExprContext(open->estate);
}

}  // namespace

OpenTable* RawTable(OpenTables* open, TableId id, const char* customer,
                    bool writing) {
  static_assert(kTableCount <= kCitusSlots);
  const int i = static_cast<int>(id);
  OpenTable* t = &open->tables[i];
  const char* name = TableName(i);
  const Placement where =
      CitusPlacement(i, LedgerRelid(name), name, customer, writing);
  if (t->rel == nullptr) {
    t->rel = table_open(where.relid, AccessShareLock);
    t->slot = table_slot_create(t->rel, nullptr);
    t->shardid = where.shardid;
  } else if (RelationGetRelid(t->rel) != where.relid) {
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("one operation cannot reach customers on two shards of "
                    "credit_ledger.%s",
                    name),
             errhint("Call the function once per customer.")));
  }
  return t;
}

bool RawCustomerIsLocal(const char* customer) {
  const int i = static_cast<int>(TableId::kWallets);
  const char* name = kTableNames[i];
  return CitusIsLocal(i, LedgerRelid(name), name, customer);
}

Oid RawTableIndex(const OpenTable* t, const char* name) {
  if (t->shardid == 0) return LedgerRelid(name);
  return CitusShardIndex(name, t->shardid);
}

AttrNumber RawFindColumn(Relation rel, const char* name) {
  TupleDesc desc = RelationGetDescr(rel);
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0) {
      return att->attnum;
    }
  }
  return InvalidAttrNumber;
}

AttrNumber RawColumn(Relation rel, const char* name) {
  const AttrNumber n = RawFindColumn(rel, name);
  if (n == InvalidAttrNumber) {
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                    errmsg("column \"%s\" of relation \"%s\" does not exist",
                           name, RelationGetRelationName(rel))));
  }
  return n;
}

AttrNumber OptCol(Relation rel, ColumnRef& c) {
  TupleDesc desc = RelationGetDescr(rel);
  if (c.attnum > 0 && c.attnum <= desc->natts) {
    Form_pg_attribute att = TupleDescAttr(desc, c.attnum - 1);
    if (!att->attisdropped && strcmp(NameStr(att->attname), c.name) == 0) {
      return c.attnum;
    }
  }
  c.attnum = RawFindColumn(rel, c.name);
  return c.attnum;
}

AttrNumber Col(Relation rel, ColumnRef& c) {
  const AttrNumber n = OptCol(rel, c);
  return n != InvalidAttrNumber ? n : RawColumn(rel, c.name);
}

namespace {

// The scan keys of `keys` for `index`.
void BuildScanKeys(Relation index, const IndexKey* keys, int nkeys,
                   ScanKeyData* scankeys);

// The index `index_oid` of `t`, opened on its first scan in the operation
// and kept open until RawClose (past kScanIndexes, opened for this scan
// only: CloseIndex closes it).
Relation OpenIndex(OpenTable* t, Oid index_oid) {
  for (int i = 0; i < t->scan_index_count; ++i) {
    if (t->scan_index_oids[i] == index_oid) return t->scan_indexes[i];
  }
  Relation index = index_open(index_oid, AccessShareLock);
  if (t->scan_index_count < OpenTable::kScanIndexes) {
    t->scan_index_oids[t->scan_index_count] = index_oid;
    t->scan_indexes[t->scan_index_count++] = index;
  }
  return index;
}

void CloseIndex(OpenTable* t, Relation index) {
  for (int i = 0; i < t->scan_index_count; ++i) {
    if (t->scan_indexes[i] == index) return;
  }
  index_close(index, NoLock);
}

// Opens the index, builds its scan keys and starts a scan with the snapshot
// the mode calls for (registered; the caller ends the scan with EndScan).
IndexScanDesc BeginScan(OpenTable* t, Oid index_oid, const IndexKey* keys,
                        int nkeys, ReadMode mode, Snapshot* snapshot) {
  if (mode == ReadMode::kWriting) {
    // Earlier writes of this transaction (this call's or a previous one's)
    // must be visible, as they would be to the next SQL statement.
    CommandCounterIncrement();
    *snapshot = RegisterSnapshot(GetTransactionSnapshot());
  } else {
    *snapshot = RegisterSnapshot(GetActiveSnapshot());
  }
  Relation index = OpenIndex(t, index_oid);
  ScanKeyData scankeys[INDEX_MAX_KEYS];
  BuildScanKeys(index, keys, nkeys, scankeys);
  IndexScanDesc scan = index_beginscan(t->rel, index, *snapshot, nkeys, 0);
  index_rescan(scan, scankeys, nkeys, nullptr, 0);
  return scan;
}

void BuildScanKeys(Relation index, const IndexKey* keys, int nkeys,
                   ScanKeyData* scankeys) {
  for (int i = 0; i < nkeys; ++i) {
    if (keys[i].is_null || keys[i].not_null) {
      ScanKeyEntryInitialize(
          &scankeys[i],
          SK_ISNULL | (keys[i].is_null ? SK_SEARCHNULL : SK_SEARCHNOTNULL),
          keys[i].column, InvalidStrategy, InvalidOid, InvalidOid, InvalidOid,
          0);
    } else {
      ScanKeyEntryInitialize(&scankeys[i], 0, keys[i].column, keys[i].strategy,
                             InvalidOid,
                             index->rd_indcollation[keys[i].column - 1],
                             keys[i].proc, keys[i].value);
    }
  }
}

void EndScan(OpenTable* t, IndexScanDesc scan, Snapshot snapshot) {
  Relation index = scan->indexRelation;
  index_endscan(scan);
  CloseIndex(t, index);
  UnregisterSnapshot(snapshot);
}

}  // namespace

bool RawFetch(OpenTable* t, Oid index_oid, const IndexKey* keys, int nkeys,
              ReadMode mode) {
  Snapshot snapshot;
  IndexScanDesc scan = BeginScan(t, index_oid, keys, nkeys, mode, &snapshot);
  bool found = index_getnext_slot(scan, ForwardScanDirection, t->slot);
  EndScan(t, scan, snapshot);
  return found;
}

void RawScanBegin(OpenTable* t, Oid index_oid, const IndexKey* keys, int nkeys,
                  ReadMode mode, RawScan* scan) {
  scan->scan = BeginScan(t, index_oid, keys, nkeys, mode, &scan->snapshot);
}

bool RawScanNext(OpenTable* t, RawScan* scan) {
  CHECK_FOR_INTERRUPTS();
  return index_getnext_slot(scan->scan, ForwardScanDirection, t->slot);
}

void RawScanEnd(OpenTable* t, RawScan* scan) {
  EndScan(t, scan->scan, scan->snapshot);
  ExecClearTuple(t->slot);
  *scan = RawScan{};
}

HeapTuple RawFetchVersion(OpenTable* t, ItemPointerData tid) {
  if (!table_tuple_fetch_row_version(t->rel, &tid, SnapshotAny, t->slot)) {
    elog(ERROR, "row (%u,%u) of \"%s\" vanished",
         ItemPointerGetBlockNumber(&tid), ItemPointerGetOffsetNumber(&tid),
         RelationGetRelationName(t->rel));
  }
  HeapTuple copy = ExecCopySlotHeapTuple(t->slot);
  ExecClearTuple(t->slot);
  return copy;
}

RawLockResult RawLock(OpenTable* t, bool skip_locked) {
  // As ExecLockRows: in READ COMMITTED follow the update chain and lock the
  // newest version; with a transaction snapshot a concurrent update is a
  // serialization failure.
  const bool xact_snapshot = IsolationUsesXactSnapshot();
  Snapshot snapshot = RegisterSnapshot(GetTransactionSnapshot());
  ItemPointerData tid = t->slot->tts_tid;
  TM_FailureData tmfd;
  TM_Result result = table_tuple_lock(
      t->rel, &tid, snapshot, t->slot, GetCurrentCommandId(true),
      LockTupleExclusive, skip_locked ? LockWaitSkip : LockWaitBlock,
      xact_snapshot ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
  UnregisterSnapshot(snapshot);
  switch (result) {
  case TM_Ok:
    return kLocked;
  case TM_WouldBlock:
    return kSkipped;
  case TM_Updated:
  case TM_Deleted:
    // A row changed after this transaction's snapshot: the sweep leaves
    // it for a later run, as it does a row another transaction holds,
    // rather than failing whole with 40001.
    if (xact_snapshot && skip_locked) return kSkipped;
    if (xact_snapshot) {
      ereport(ERROR,
              (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
               errmsg("could not serialize access due to concurrent update")));
    }
    return kGone;
  default:
    elog(ERROR, "unexpected table_tuple_lock status: %d",
         static_cast<int>(result));
  }
  return kGone;
}

void RawPrepareWrite(OpenTables* open, OpenTable* t) {
  EnsureWriter(open, t);
}

void RawInsert(OpenTables* open, OpenTable* t, Datum* values, bool* nulls) {
  EnsureWriter(open, t);
  CheckNotNull(t->rel, nulls);
  HeapTuple tuple = heap_form_tuple(RelationGetDescr(t->rel), values, nulls);
  ExecStoreHeapTuple(tuple, t->wslot, true);
  EvaluateCheckConstraints(open, t);
  simple_table_tuple_insert(t->rel, t->wslot);
  InsertIndexEntries(open, t, false);
  ExecClearTuple(t->wslot);
}

void RawUpdate(OpenTables* open, OpenTable* t, HeapTuple old, Datum* values,
               bool* nulls, bool* replace) {
  EnsureWriter(open, t);
  for (int i = 0; i < RelationGetDescr(t->rel)->natts; ++i) {
    if (!replace[i])
      nulls[i] = heap_attisnull(old, i + 1, RelationGetDescr(t->rel));
  }
  CheckNotNull(t->rel, nulls);
  HeapTuple tuple =
      heap_modify_tuple(old, RelationGetDescr(t->rel), values, nulls, replace);
  ExecStoreHeapTuple(tuple, t->wslot, true);
  EvaluateCheckConstraints(open, t);
  bool update_indexes = false;
  simple_table_tuple_update(t->rel, &old->t_self, t->wslot, GetActiveSnapshot(),
                            &update_indexes);
  // HOT kept the old index entries valid; otherwise the new version needs
  // its own (partial indexes included, whose predicates are evaluated), with
  // the hint of which indexes the update left unchanged, as ExecUpdate
  // passes it.
  if (update_indexes) {
    NoteUpdatedColumns(open, t, replace);
    InsertIndexEntries(open, t, true);
  }
  old->t_self = t->wslot->tts_tid;
  ExecClearTuple(t->wslot);
}

void RawClose(OpenTables* open) {
  for (OpenTable& t : open->tables) {
    if (t.rel == nullptr) continue;
    if (t.indexes_open) ExecCloseIndices(t.rri);
    for (int i = 0; i < t.scan_index_count; ++i) {
      index_close(t.scan_indexes[i], NoLock);
    }
    if (t.wslot != nullptr) ExecDropSingleTupleTableSlot(t.wslot);
    ExecDropSingleTupleTableSlot(t.slot);
    table_close(t.rel, NoLock);
    t = OpenTable{};
  }
  if (open->estate != nullptr) FreeExecutorState(open->estate);
  open->estate = nullptr;
}

int64 RawNextval(const char* sequence) {
  return nextval_internal(LedgerRelid(sequence), false);
}

bool RawInsertUnlessConflict(OpenTables* open, OpenTable* t, Datum* values,
                             bool* nulls, Oid arbiter_index) {
  EnsureWriter(open, t);
  EnsureIndexes(open, t);
  CheckNotNull(t->rel, nulls);
  HeapTuple tuple = heap_form_tuple(RelationGetDescr(t->rel), values, nulls);
  ExecStoreHeapTuple(tuple, t->wslot, true);
  EvaluateCheckConstraints(open, t);
  List* arbiters = list_make1_oid(arbiter_index);
  // The caller has just looked for a committed row with this key, so the
  // first attempt goes straight to a speculative insertion; only after a
  // conflict do we pre-check, which waits for an in-progress inserter, as
  // INSERT ... ON CONFLICT DO NOTHING does.
  for (bool first = true;; first = false) {
    if (!first) {
      ItemPointerData conflict;
      if (!ExecCheckIndexConstraints(t->rri, t->wslot, open->estate, &conflict,
                                     arbiters)) {
        ResetPerTupleExprContext(open->estate);
        ExecClearTuple(t->wslot);
        return false;
      }
    }
    const uint32 token =
        SpeculativeInsertionLockAcquire(GetCurrentTransactionId());
    table_tuple_insert_speculative(t->rel, t->wslot, GetCurrentCommandId(true),
                                   0, nullptr, token);
    bool spec_conflict = false;
    List* recheck = ExecInsertIndexTuples(t->rri, t->wslot, open->estate, false,
                                          true, &spec_conflict, arbiters);
    table_tuple_complete_speculative(t->rel, t->wslot, token, !spec_conflict);
    SpeculativeInsertionLockRelease(GetCurrentTransactionId());
    list_free(recheck);
    ResetPerTupleExprContext(open->estate);
    if (!spec_conflict) {
      ExecClearTuple(t->wslot);
      return true;
    }
  }
}

bool RawKeyTaken(OpenTable* t, Oid index_oid, const IndexKey* keys, int nkeys) {
  // As a unique index's check (check_exclusion_or_unique_constraint): a
  // dirty snapshot sees rows of transactions in progress, whose end is
  // waited for before looking again.
  for (;;) {
    SnapshotData dirty;
    InitDirtySnapshot(dirty);
    Relation index = OpenIndex(t, index_oid);
    ScanKeyData scankeys[INDEX_MAX_KEYS];
    BuildScanKeys(index, keys, nkeys, scankeys);
    IndexScanDesc scan = index_beginscan(t->rel, index, &dirty, nkeys, 0);
    index_rescan(scan, scankeys, nkeys, nullptr, 0);
    const bool found = index_getnext_slot(scan, ForwardScanDirection, t->slot);
    ItemPointerData tid = t->slot->tts_tid;
    index_endscan(scan);
    CloseIndex(t, index);
    ExecClearTuple(t->slot);
    if (!found) return false;
    const TransactionId xwait =
        TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax;
    if (!TransactionIdIsValid(xwait)) return true;
    if (dirty.speculativeToken != 0) {
      SpeculativeInsertionWait(dirty.xmin, dirty.speculativeToken);
    } else {
      XactLockTableWait(xwait, t->rel, &tid, XLTW_InsertIndex);
    }
  }
}

}  // namespace credit_ledger::pg
