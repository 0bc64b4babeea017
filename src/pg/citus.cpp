#include "citus.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"
}

#include <cinttypes>

namespace credit_ledger::pg {
namespace {

// Citus's advisory lock class for the metadata of colocated shards
// (ADV_LOCKTAG_CLASS_CITUS_COLOCATED_SHARDS_METADATA in Citus's
// resource_lock.h): its executor holds it in ShareLock mode while it writes a
// shard, and a shard move's cut-over (BlockWritesToShardList) takes it in
// ExclusiveLock mode on every node.
constexpr uint16 kColocatedShardsMetadataLock = 8;

enum class Kind : char { kUnknown, kPlain, kHash, kReference };

struct Shard {
  int32 min;
  int32 max;
  int64 shardid;
  bool local;
  Oid relid;  // looked up on first use
};

// One table's placement, as Citus's metadata had it when last read.
struct Entry {
  Oid shell = InvalidOid;
  Kind kind = Kind::kUnknown;
  uint32 colocation = 0;
  Oid hash_type = InvalidOid;
  Oid collation = InvalidOid;
  int nshards = 0;
  Shard* shards = nullptr;  // in TopMemoryContext, sorted by min
};
Entry entries[kCitusSlots];
bool callback_registered = false;

struct CachedIndex {
  int64 shardid;
  char name[NAMEDATALEN];
  Oid relid;
};
CachedIndex index_cache[64];
int index_cache_size = 0;

// A relcache invalidation of a table (Citus sends one for every change of
// its shards or placements) or of everything forgets what was read.
void Forget(Datum, Oid relid) {
  for (Entry& e : entries) {
    if (relid != InvalidOid && relid != e.shell) continue;
    if (e.kind == Kind::kHash || e.kind == Kind::kReference) {
      index_cache_size = 0;
    }
    e.kind = Kind::kUnknown;
  }
}

const char* const kPlacementQuery =
    "SELECT p.partmethod::text, p.colocationid, s.shardid,"
    "       s.shardminvalue::integer, s.shardmaxvalue::integer,"
    "       EXISTS (SELECT 1 FROM pg_catalog.pg_dist_placement pl,"
    "                             pg_catalog.pg_dist_local_group g"
    "                WHERE pl.shardid OPERATOR(pg_catalog.=) s.shardid"
    "                  AND pl.groupid OPERATOR(pg_catalog.=) g.groupid)"
    "  FROM pg_catalog.pg_dist_partition p"
    "  LEFT JOIN pg_catalog.pg_dist_shard s"
    "    ON s.logicalrelid OPERATOR(pg_catalog.=) p.logicalrelid"
    " WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1"
    " ORDER BY s.shardminvalue::integer";

// The kind of Citus table of a pg_dist_partition.partmethod.
Kind KindOf(const char* method, const char* name) {
  if (strcmp(method, "h") == 0) return Kind::kHash;
  if (strcmp(method, "n") == 0) return Kind::kReference;
  ereport(ERROR,
          (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
           errmsg("credit_ledger.%s is distributed by Citus in a way the "
                  "ledger does not support",
                  name),
           errhint("Undo it with undistribute_table() and run "
                   "credit_ledger.citus_distribute().")));
}

// Reads the shards of `shell` and whether each has a placement on this node
// into e (SPI); the table's kind, plain when Citus does not manage it.
Kind ReadShards(Entry& e, Oid shell, const char* name) {
  SPI_connect();
  Oid argtype = REGCLASSOID;
  Datum arg = ObjectIdGetDatum(shell);
  if (SPI_execute_with_args(kPlacementQuery, 1, &argtype, &arg, nullptr, true,
                            0) != SPI_OK_SELECT) {
    elog(ERROR, "could not read the Citus placement of credit_ledger.%s", name);
  }
  Kind kind = Kind::kPlain;
  if (SPI_processed > 0) {
    TupleDesc desc = SPI_tuptable->tupdesc;
    bool null = false;
    kind = KindOf(SPI_getvalue(SPI_tuptable->vals[0], desc, 1), name);
    e.colocation =
        DatumGetUInt32(SPI_getbinval(SPI_tuptable->vals[0], desc, 2, &null));
    e.shards = static_cast<Shard*>(MemoryContextAllocZero(
        TopMemoryContext, sizeof(Shard) * SPI_processed));
    for (uint64 i = 0; i < SPI_processed; ++i) {
      HeapTuple row = SPI_tuptable->vals[i];
      Datum id = SPI_getbinval(row, desc, 3, &null);
      if (null) continue;
      Shard& s = e.shards[e.nshards++];
      s.shardid = DatumGetInt64(id);
      Datum min = SPI_getbinval(row, desc, 4, &null);
      s.min = null ? PG_INT32_MIN : DatumGetInt32(min);
      Datum max = SPI_getbinval(row, desc, 5, &null);
      s.max = null ? PG_INT32_MAX : DatumGetInt32(max);
      s.local = DatumGetBool(SPI_getbinval(row, desc, 6, &null));
      s.relid = InvalidOid;
    }
  }
  SPI_finish();
  return kind;
}

// Reads the placement of `shell` from Citus's metadata (plain when there is
// none: no Citus, or a table Citus does not manage).
void Load(Entry& e, Oid shell, const char* name) {
  if (!callback_registered) {
    CacheRegisterRelcacheCallback(Forget, 0);
    callback_registered = true;
  }
  e.shell = shell;
  e.nshards = 0;
  if (e.shards != nullptr) {
    pfree(e.shards);
    e.shards = nullptr;
  }
  if (!OidIsValid(
          get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE))) {
    e.kind = Kind::kPlain;
    return;
  }
  const Kind kind = ReadShards(e, shell, name);
  if (kind == Kind::kHash) {
    const AttrNumber column = get_attnum(shell, "customer_id");
    int32 typmod = 0;
    get_atttypetypmodcoll(shell, column, &e.hash_type, &typmod, &e.collation);
    if (e.hash_type != TEXTOID) {
      elog(ERROR, "credit_ledger.%s.customer_id is not text", name);
    }
  }
  e.kind = kind;
}

[[noreturn]] void RefuseShell(const char* name) {
  ereport(
      ERROR,
      (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
       errmsg("credit_ledger.%s is distributed by Citus and this call names "
              "no customer",
              name),
       errdetail("On a Citus node the ledger reads and writes only the "
                 "local shard of one customer; the table itself is an "
                 "empty shell."),
       errhint("Call a customer-scoped function with the customer's id, "
               "so that Citus runs it on the customer's worker.")));
}

[[noreturn]] void RefuseRemote(const char* name, const char* customer,
                               int64 shardid) {
  ereport(ERROR,
          (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
           errmsg("customer \"%s\" is not on this node", customer),
           errdetail("credit_ledger.%s is distributed by Citus and the "
                     "customer's shard %" PRId64
                     " is on another node; the ledger reads and writes only "
                     "local shards, never the table itself.",
                     name, shardid),
           errhint("Call the function with the customer as a constant "
                   "argument (SELECT credit_consume('alice', ...)), not once "
                   "per row of a query, so that Citus runs it on the "
                   "customer's worker.")));
}

// The index in e.shards of the shard holding `customer`.
int ShardOf(const Entry& e, const char* customer) {
  if (e.kind == Kind::kReference) return 0;
  TypeCacheEntry* type =
      lookup_type_cache(e.hash_type, TYPECACHE_HASH_PROC_FINFO);
  const int32 hash = DatumGetInt32(FunctionCall1Coll(
      &type->hash_proc_finfo, e.collation, CStringGetTextDatum(customer)));
  int lo = 0;
  int hi = e.nshards - 1;
  while (lo <= hi) {
    const int mid = (lo + hi) / 2;
    if (hash < e.shards[mid].min) {
      hi = mid - 1;
    } else if (hash > e.shards[mid].max) {
      lo = mid + 1;
    } else {
      return mid;
    }
  }
  elog(ERROR, "no shard of a Citus table covers the hash %d", hash);
}

// The relation of a local shard, `<table>_<shardid>` beside the table.
Oid ShardRelid(Oid shell, const char* name, int64 shardid) {
  char shard_name[NAMEDATALEN];
  snprintf(shard_name, sizeof shard_name, "%s_%" PRId64, name, shardid);
  const Oid relid = get_relname_relid(shard_name, get_rel_namespace(shell));
  if (!OidIsValid(relid)) {
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                    errmsg("shard \"credit_ledger.%s\" of a local placement "
                           "does not exist",
                           shard_name)));
  }
  return relid;
}

}  // namespace

Placement CitusPlacement(int slot, Oid shell, const char* name,
                         const char* customer, bool writing) {
  Entry& e = entries[slot];
  if (e.kind == Kind::kPlain && e.shell == shell) return {shell, 0};
  if (e.kind == Kind::kUnknown || e.shell != shell) Load(e, shell, name);
  if (e.kind == Kind::kPlain) return {shell, 0};
  if (e.kind == Kind::kHash && customer == nullptr) RefuseShell(name);
  if (e.nshards == 0) RefuseShell(name);
  int index = ShardOf(e, customer);
  if (writing && e.kind == Kind::kHash) {
    // As Citus's executor does before it writes a shard; a move that
    // completed while we waited has sent its invalidations: read again.
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(index),
                         e.colocation, kColocatedShardsMetadataLock);
    (void)LockAcquire(&tag, ShareLock, false, false);
    AcceptInvalidationMessages();
    if (e.kind == Kind::kUnknown) {
      Load(e, shell, name);
      if (e.kind != Kind::kHash || e.nshards == 0) RefuseShell(name);
      index = ShardOf(e, customer);
    }
  }
  Shard& s = e.shards[index];
  if (!s.local) {
    if (e.kind == Kind::kReference) {
      ereport(ERROR,
              (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
               errmsg("credit_ledger.%s has no replica on this node", name),
               errhint("Run credit_ledger.citus_distribute() on the "
                       "coordinator: it copies the reference tables to every "
                       "node.")));
    }
    RefuseRemote(name, customer, s.shardid);
  }
  if (!OidIsValid(s.relid)) s.relid = ShardRelid(shell, name, s.shardid);
  return {s.relid, s.shardid};
}

bool CitusIsLocal(int slot, Oid shell, const char* name, const char* customer) {
  Entry& e = entries[slot];
  if (e.kind == Kind::kUnknown || e.shell != shell) Load(e, shell, name);
  if (e.kind != Kind::kHash || e.nshards == 0) return true;
  return e.shards[ShardOf(e, customer)].local;
}

Oid CitusShardIndex(const char* name, std::int64_t shardid) {
  for (int i = 0; i < index_cache_size; ++i) {
    if (index_cache[i].shardid == shardid &&
        strcmp(index_cache[i].name, name) == 0) {
      return index_cache[i].relid;
    }
  }
  char index_name[NAMEDATALEN];
  snprintf(index_name, sizeof index_name, "%s_%" PRId64, name, shardid);
  const Oid nsp = get_namespace_oid("credit_ledger", false);
  const Oid relid = get_relname_relid(index_name, nsp);
  if (!OidIsValid(relid)) {
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                    errmsg("index \"credit_ledger.%s\" of a local shard does "
                           "not exist",
                           index_name)));
  }
  if (index_cache_size < static_cast<int>(lengthof(index_cache))) {
    index_cache[index_cache_size].shardid = shardid;
    strlcpy(index_cache[index_cache_size].name, name, NAMEDATALEN);
    index_cache[index_cache_size].relid = relid;
    ++index_cache_size;
  }
  return relid;
}

}  // namespace credit_ledger::pg
