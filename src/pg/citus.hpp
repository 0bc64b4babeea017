// Where a ledger table's rows live on this node when Citus distributes the
// ledger (DESIGN.md, "Scale-out on Citus"): for a customer's row, the local
// shard `credit_ledger.<table>_<shardid>` of the customer's hash; for the
// reference table credit_types, its local replica. On a worker (and on the
// coordinator) the table itself is Citus's empty shell: reading or writing
// it would lose rows, so a customer whose shard is elsewhere, or an access
// without a customer, is refused with 0A000.
//
// The placement of each table is read from Citus's metadata (pg_dist_*) once
// per backend and kept until a relcache invalidation of the table (Citus
// sends one when a shard or placement changes, e.g. a shard move); on a
// plain server the first call finds no Citus metadata and every later call
// costs one array lookup.
//
// Called under Guard (relations.cpp): these may ereport.
#pragma once

#include "postgres.hpp"

#include <cstdint>

namespace credit_ledger::pg {

// The relation to open for table `slot` (a small index chosen by the
// caller, < kCitusSlots), the table `shell` named `name`, and the customer
// (nullptr: none known). With `writing`, also takes the lock Citus's
// executor takes before writing a shard (its colocated shards' metadata, in
// ShareLock mode, so that a shard move's cut-over waits for this
// transaction), then checks the placement again. shardid is 0 when `shell`
// itself holds the rows.
struct Placement {
  Oid relid;
  std::int64_t shardid;
};
constexpr int kCitusSlots = 8;
Placement CitusPlacement(int slot, Oid shell, const char* name,
                         const char* customer, bool writing);

// Whether `customer`'s shard of table `slot` (as CitusPlacement) is on this
// node: true on a plain server and for a table Citus does not manage. Reads
// the placement as CitusPlacement does, refusing nothing.
bool CitusIsLocal(int slot, Oid shell, const char* name, const char* customer);

// The index `name` of the shard `shardid` (Citus names a shard's index
// `<index>_<shardid>`), looked up once per backend and shard.
Oid CitusShardIndex(const char* name, std::int64_t shardid);

}  // namespace credit_ledger::pg
