-- Upgrading a distributed ledger (README, "Scale-out on Citus", "Upgrades"):
-- ALTER EXTENSION credit_ledger UPDATE on the coordinator and
-- citus_distribute() again, in one transaction. The update script changes
-- each table Citus manages once, from the coordinator (one statement per
-- change, through EXECUTE, every constraint named), and Citus passes the
-- change on to the table's shards and to every worker's copy; the workers'
-- own run of the script (Citus runs ALTER EXTENSION on each of them) leaves
-- those tables alone. citus_distribute() then distributes the tables the
-- update added, delegates the new functions and gives their sequences each
-- node's range. The one table the update replaces, operations (lean, issue
-- 17: a view of operation_rows and the standalone entries since 1.2), is
-- set aside by the update and moved shard by shard by citus_distribute().
--
-- The starting point: a 1.1 ledger on a cluster. 1.1 had no
-- citus_distribute() (and its functions did not work on one), so this is a
-- 1.1 ledger written on one server that became the coordinator, its tables
-- then distributed by hand the way citus_distribute() does it (credit_types a
-- reference table, the customer tables by customer_id, colocated with
-- wallets, the customer-scoped functions delegated); the same update path serves a 1.2 ledger distributed with
-- citus_distribute() when 1.3 comes. The earlier topics' ledger goes first
-- (DROP EXTENSION drops its distributed tables and their shards).
\set VERBOSITY terse
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_ledger CASCADE;
DROP TABLE IF EXISTS orders;  -- 03_shard_access's
SELECT count(*) AS ledger_shards_left
  FROM pg_dist_shard WHERE logicalrelid::text LIKE 'credit_ledger.%';
SELECT n.groupid, r.result AS ledger_tables_left
  FROM run_command_on_all_nodes(
         $$SELECT count(*) FROM pg_class WHERE relname LIKE 'wallets%'$$) r
  JOIN pg_dist_node n USING (nodeid)
 ORDER BY n.groupid;

-- 1.1, on every node (Citus creates the extension on the workers too).
CREATE EXTENSION credit_ledger VERSION '1.1';
SELECT n.groupid, r.result AS version
  FROM run_command_on_all_nodes(
         $$SELECT extversion FROM pg_extension WHERE extname = 'credit_ledger'$$) r
  JOIN pg_dist_node n USING (nodeid)
 ORDER BY n.groupid;

-- The 1.1 ledger, written on the coordinator while its tables are its own:
-- grants (one with a key, one taking effect tomorrow: 1.1 enters it now),
-- consumes with idempotency keys, an adjustment, a reversal.
SELECT credit_type_create('usd', 2);
SELECT credit_wallet_configure('alice', 'usd', 10) > 0 AS configured;
SELECT credit_grant('alice', 'usd', 100, idempotency_key => 'g-alice') > 0 AS granted;
SELECT credit_grant('dave', 'usd', 50, expires_at => now() + interval '30 days') > 0 AS granted;
SELECT credit_grant('heidi', 'usd', 20, effective_at => now() + interval '1 day',
                    expires_at => now() + interval '10 days') > 0 AS granted_tomorrow;
SELECT amount, balance FROM credit_consume('alice', 'usd', 30, 'k-alice-1', 'api');
SELECT amount, balance FROM credit_consume('dave', 'usd', 5, 'k-dave-1', 'api');
SELECT amount, balance FROM credit_adjust('dave', 'usd', -2, 'fix', 'a-dave-1');
SELECT amount, balance FROM credit_reverse(
         (SELECT operation_id FROM credit_ledger.operations WHERE idempotency_key = 'k-alice-1'), 10,
         idempotency_key => 'r-alice-1');
SELECT * FROM credit_verify();
CREATE TEMP TABLE before_upgrade AS
SELECT customer_id, balance, debt, last_seq, last_hash FROM credit_ledger.wallets;
-- The 1.1 operations, by type, with the digests 1.1 keeps (32 bytes each).
CREATE TEMP TABLE ops_before AS
SELECT operation_id, customer_id, operation_type, substr(key_hash, 1, 16) AS key_hash,
       substr(request_hash, 1, 8) AS request_hash, amount, balance
  FROM credit_ledger.operations;
SELECT operation_type, count(*), count(idempotency_key) AS keyed,
       min(octet_length(key_hash)) AS key_hash_bytes
  FROM credit_ledger.operations GROUP BY 1 ORDER BY 1;

-- Distributed by hand, as citus_distribute() does it: Citus copies each
-- table's rows to its shards. The copies left in the coordinator's own
-- tables (Citus keeps them: truncate_local_data_after_distributing_table
-- removes them) go with the append-only guards off for that one statement.
SET citus.shard_count = 4;
SET citus.enable_unsafe_triggers = on;
SELECT create_reference_table('credit_ledger.credit_types');
SELECT create_distributed_table('credit_ledger.wallets', 'customer_id', colocate_with => 'none');
SELECT create_distributed_table('credit_ledger.grants', 'customer_id', colocate_with => 'credit_ledger.wallets');
SELECT create_distributed_table('credit_ledger.operations', 'customer_id', colocate_with => 'credit_ledger.wallets');
SELECT create_distributed_table('credit_ledger.entries', 'customer_id', colocate_with => 'credit_ledger.wallets');
SELECT create_distributed_table('credit_ledger.events', 'customer_id', colocate_with => 'credit_ledger.wallets');
RESET citus.enable_unsafe_triggers;
-- Its customer-scoped functions delegated by hand too, so that the update
-- replaces and drops delegated functions, as the next version's will. It
-- reads through the coordinator; it cannot write there: 1.1 gave the nodes
-- no id ranges, so a worker's first id would repeat one the server gave.
SELECT count(create_distributed_function(p.oid::regprocedure, 'customer_id',
                                         colocate_with => 'credit_ledger.wallets',
                                         force_delegation => true)) AS delegated_by_hand
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
 WHERE p.prokind = 'f' AND p.pronargs - p.pronargdefaults >= 1
   AND p.proargnames[1] = 'customer_id' AND p.proargtypes[0] = 'text'::regtype;
SELECT credit_balance('alice', 'usd');
BEGIN;
SET LOCAL session_replication_role = replica;
SELECT truncate_local_data_after_distributing_table(('credit_ledger.' || t)::regclass)
  FROM unnest(ARRAY['events', 'entries', 'operations', 'grants', 'wallets', 'credit_types']) t;
COMMIT;

-- The update, on the coordinator, with citus_distribute() in the same
-- transaction (the tables 1.2 adds, the functions, the id ranges), so
-- that no call runs between the two. Before the script went through
-- upgrade_table, Citus refused it on a worker ("cannot insert multiple
-- commands into a prepared statement": the whole script was the text of
-- each statement it passed on). Every node is at 1.2 after it.
BEGIN;
ALTER EXTENSION credit_ledger UPDATE;
SELECT regexp_replace(object, ':[0-9]+\)', ':PORT)') AS object, action
  FROM credit_ledger.citus_distribute()
 WHERE action NOT LIKE 'already%' AND object NOT LIKE 'id sequences%'
   AND object NOT LIKE '%(%';
COMMIT;
SELECT n.groupid, r.result AS version
  FROM run_command_on_all_nodes(
         $$SELECT extversion FROM pg_extension WHERE extname = 'credit_ledger'$$) r
  JOIN pg_dist_node n USING (nodeid)
 ORDER BY n.groupid;
-- The new columns and constraints are on every shard of the customer tables
-- and on every node's copy of them (the shards' names end in their id).
SELECT r.result AS wallets_columns_and_checks, count(*) AS shards
  FROM run_command_on_shards('credit_ledger.wallets',
         $$SELECT (SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
                    WHERE attrelid = '%1$s'::regclass AND attnum > 11 AND NOT attisdropped)
                  || ' / ' ||
                  (SELECT string_agg(regexp_replace(conname, '_[0-9]+$', ''), ',' ORDER BY conname)
                     FROM pg_constraint WHERE conrelid = '%1$s'::regclass AND contype = 'c')$$) r
 GROUP BY r.result;
SELECT r.result AS grants_checks, count(*) AS shards
  FROM run_command_on_shards('credit_ledger.grants',
         $$SELECT string_agg(regexp_replace(conname, '_[0-9]+$', '') || ': ' || pg_get_constraintdef(oid), E'\n' ORDER BY conname)
             FROM pg_constraint WHERE conrelid = '%s'::regclass AND conname ~ '^grants_(kind_check|check2)'$$) r
 GROUP BY r.result;
SELECT r.result AS entries_indexes, count(*) AS shards
  FROM run_command_on_shards('credit_ledger.entries',
         $$SELECT string_agg(regexp_replace(c.relname, '_[0-9]+$', ''), ',' ORDER BY c.relname)
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '%s'::regclass$$) r
 GROUP BY r.result;
SELECT r.result AS entries_new_columns, count(*) AS shards
  FROM run_command_on_shards('credit_ledger.entries',
         $$SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ',' ORDER BY attnum)
             FROM pg_attribute WHERE attrelid = '%s'::regclass AND attname IN ('key_hash', 'request_hash', 'standalone')$$) r
 GROUP BY r.result;
-- lean (issue 17): the 1.1 operations table is gone from every node (the
-- update set it aside, citus_distribute() moved its rows and dropped it),
-- operations is a view on every node, and operation_rows is distributed
-- by customer_id with wallets, its shards on the workers holding exactly the
-- 1.1 operations, their digests cut to 16 and 8 bytes.
SELECT n.groupid, r.result AS operations_relkind_1_1_left_members
  FROM run_command_on_all_nodes(
         $$SELECT (SELECT relkind::text FROM pg_class WHERE oid = 'credit_ledger.operations'::regclass)
                  || ' ' || (SELECT count(*) FROM pg_class WHERE relname LIKE 'operations_1_1%' AND relnamespace = 'credit_ledger'::regnamespace)
                  || ' ' || (SELECT count(*) FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
                              WHERE x.extname = 'credit_ledger' AND d.deptype = 'e'
                                AND d.classid = 'pg_class'::regclass
                                AND d.objid IN ('credit_ledger.operations'::regclass,
                                                'credit_ledger.operation_rows'::regclass))$$) r
  JOIN pg_dist_node n USING (nodeid)
 ORDER BY n.groupid;
SELECT p.partmethod, column_to_column_name(p.logicalrelid, p.partkey) AS column_name,
       p.colocationid = (SELECT colocationid FROM pg_dist_partition
                          WHERE logicalrelid = 'credit_ledger.wallets'::regclass) AS with_wallets
  FROM pg_dist_partition p WHERE p.logicalrelid = 'credit_ledger.operation_rows'::regclass;
SELECT p.groupid > 0 AS on_a_worker, sum(r.result::bigint) AS operation_rows,
       (SELECT count(*) FROM ops_before) AS operations_1_1
  FROM run_command_on_shards('credit_ledger.operation_rows', 'SELECT count(*) FROM %s') r
  JOIN pg_dist_placement p USING (shardid)
 GROUP BY 1 ORDER BY 1;
SELECT r.result AS operation_rows_indexes, count(*) AS shards
  FROM run_command_on_shards('credit_ledger.operation_rows',
         $$SELECT string_agg(regexp_replace(c.relname, '_[0-9]+$', ''), ',' ORDER BY c.relname)
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '%s'::regclass$$) r
 GROUP BY r.result;
SELECT count(*) AS moved, count(*) FILTER (WHERE o.operation_id IS NULL) AS missing,
       count(*) FILTER (WHERE (o.customer_id, o.operation_type, o.key_hash, o.request_hash, o.amount, o.balance)
                              IS DISTINCT FROM (b.customer_id, b.operation_type, b.key_hash, b.request_hash, b.amount, b.balance)) AS changed
  FROM ops_before b LEFT JOIN credit_ledger.operation_rows o USING (operation_id);
SELECT octet_length(key_hash) AS key_hash_bytes, octet_length(request_hash) AS request_hash_bytes, count(*)
  FROM credit_ledger.operation_rows GROUP BY 1, 2 ORDER BY 1, 2;
SELECT r.result AS currency_column, count(*) AS replicas
  FROM run_command_on_shards('credit_ledger.credit_types',
         $$SELECT format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = '%s'::regclass AND attname = 'currency'$$) r
 GROUP BY r.result;
SELECT n.groupid, r.result AS shell_wallets_columns
  FROM run_command_on_all_nodes(
         $$SELECT count(*) FROM pg_attribute
            WHERE attrelid = 'credit_ledger.wallets'::regclass AND attnum > 0 AND NOT attisdropped$$) r
  JOIN pg_dist_node n USING (nodeid)
 ORDER BY n.groupid;
-- What the update did to the 1.1 rows, on the shards: heidi's block of
-- tomorrow makes her wallet due then, and spendable only from then on.
SELECT customer_id, next_due_at IS NOT NULL AS due, legacy_until IS NOT NULL AS legacy, held
  FROM credit_ledger.wallets ORDER BY customer_id;
SELECT count(*) AS grants, count(*) FILTER (WHERE entered AND NOT pending AND held = 0) AS as_1_1
  FROM credit_ledger.grants;
SELECT b.customer_id FROM before_upgrade b JOIN credit_ledger.wallets w USING (customer_id)
 WHERE (b.balance, b.debt, b.last_seq, b.last_hash) IS DISTINCT FROM (w.balance, w.debt, w.last_seq, w.last_hash);
-- Every customer-scoped function is delegated (none left out), and a run
-- of citus_distribute() now finds nothing to do.
SELECT p.oid::regprocedure AS not_delegated
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
 WHERE p.prokind = 'f' AND p.pronargs - p.pronargdefaults >= 1
   AND p.proargnames[1] = 'customer_id' AND p.proargtypes[0] = 'text'::regtype
   AND NOT EXISTS (SELECT 1 FROM pg_dist_object o
                    WHERE o.classid = 'pg_proc'::regclass AND o.objid = p.oid
                      AND o.distribution_argument_index = 0);
SELECT count(*) AS delegated
  FROM pg_dist_object o
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = o.objid AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
 WHERE o.classid = 'pg_proc'::regclass AND o.distribution_argument_index = 0;
SELECT object, action FROM credit_ledger.citus_distribute()
 WHERE action NOT LIKE 'already%' AND object NOT LIKE 'id sequences%';

-- Operations through the coordinator, delegated to the customers' workers.
-- A 1.1 idempotency key replays its 1.1 result (a consume, a grant, an
-- adjustment, a reversal), or refuses other parameters (LG002, by the
-- request digest cut to 8 bytes); a new call writes.
SELECT amount, balance, replayed FROM credit_consume('alice', 'usd', 30, 'k-alice-1', 'api');
SELECT amount, balance, replayed FROM credit_consume('dave', 'usd', 5, 'k-dave-1', 'api');
SELECT * FROM credit_consume('dave', 'usd', 6, 'k-dave-1', 'api');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_grant('alice', 'usd', 100, idempotency_key => 'g-alice') AS replayed_grant \gset
SELECT grant_id = :replayed_grant AS same_grant, count(*) OVER () AS grants_of_100
  FROM credit_ledger.grants WHERE customer_id = 'alice' AND amount = 100;
SELECT amount, balance, replayed FROM credit_adjust('dave', 'usd', -2, 'fix', 'a-dave-1');
SELECT operation_id AS alice_1_1_consume FROM ops_before
 WHERE key_hash = substr(sha256('k-alice-1'), 1, 16) \gset
SELECT amount, balance, replayed
  FROM credit_reverse('alice', :alice_1_1_consume, 10, idempotency_key => 'r-alice-1');
SELECT amount, balance, replayed FROM credit_consume('alice', 'usd', 7, 'k-alice-2', 'api');
SELECT amount, balance, replayed FROM credit_consume('alice', 'usd', 7, 'k-alice-2', 'api');
-- A new one-entry consume is stored as its entry alone, its key's digests
-- on the entry (on the worker's shard of entries), no operation row; it is
-- reversed by its id (through entries_time_idx on that shard).
SELECT e.operation_id AS standalone_op, e.standalone, octet_length(e.key_hash) AS key_hash_bytes,
       octet_length(e.request_hash) AS request_hash_bytes,
       NOT EXISTS (SELECT 1 FROM credit_ledger.operation_rows o
                    WHERE o.customer_id = 'alice' AND o.operation_id = e.operation_id) AS no_operation_row
  FROM credit_ledger.entries e
 WHERE e.customer_id = 'alice' AND e.key_hash = substr(sha256('k-alice-2'), 1, 16) \gset
SELECT :'standalone' AS standalone, :key_hash_bytes AS key_hash_bytes,
       :request_hash_bytes AS request_hash_bytes, :'no_operation_row' AS no_operation_row;
SELECT operation_type, amount, balance FROM credit_ledger.operations
 WHERE customer_id = 'alice' AND operation_id = :standalone_op;
SELECT amount, balance, replayed FROM credit_reverse('alice', :standalone_op, 2, idempotency_key => 'r-alice-2');
SELECT amount, balance, replayed FROM credit_reverse('alice', :standalone_op, 2, idempotency_key => 'r-alice-2');
-- heidi's 1.1 block of tomorrow is in her ledger balance but not spendable.
SELECT credit_balance('heidi', 'usd');
SELECT * FROM credit_consume('heidi', 'usd', 1);
\echo :LAST_ERROR_SQLSTATE
-- 1.2 functions: a hold and its capture, a customer-first void.
SELECT hold_id AS hold FROM credit_hold('dave', 'usd', 10) \gset
SELECT amount, balance FROM credit_capture('dave', :hold, 4);
SELECT credit_grant('dave', 'usd', 3) AS extra \gset
SELECT credit_void('dave', :extra);
SELECT customer_id, balance, debt, held FROM credit_ledger.wallets ORDER BY customer_id;

-- The rows are on the workers' shards, none in a shell table on any node;
-- the ids written after the update come from each worker's range.
SELECT p.groupid > 0 AS on_a_worker, sum(r.result::bigint) AS entries
  FROM run_command_on_shards('credit_ledger.entries', 'SELECT count(*) FROM %s') r
  JOIN pg_dist_placement p USING (shardid)
 GROUP BY 1 ORDER BY 1;
\i test/citus/sql/include/shell_bytes.sql
-- (Read first: Citus joins the view, a UNION ALL, to no other table.)
WITH o AS MATERIALIZED (SELECT operation_id, customer_id FROM credit_ledger.operations)
SELECT count(*) AS operations, count(DISTINCT operation_id) AS distinct_ids,
       count(*) FILTER (WHERE operation_id >> 48 = p.groupid) AS from_own_range
  FROM o
  JOIN pg_dist_placement p
    ON p.shardid = get_shard_id_for_distribution_column('credit_ledger.wallets', o.customer_id);
SELECT * FROM credit_verify();
