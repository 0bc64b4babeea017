-- credit_ledger.citus_distribute() on a coordinator with two workers
-- (scripts/test_citus.sh starts them): reference and distributed tables,
-- colocation, delegated functions, triggers on the shards, per-node id
-- ranges; a second run changes nothing. Ports are masked (PORT): the
-- cluster may run on any.
CREATE EXTENSION credit_ledger;
-- Four shards per table keep the test quick (users keep Citus's 32).
SET citus.shard_count = 4;
SELECT regexp_replace(object, ':[0-9]+\)', ':PORT)') AS object, action
  FROM credit_ledger.citus_distribute();
-- Run again: everything is already done, nothing is redone.
SELECT regexp_replace(object, ':[0-9]+\)', ':PORT)') AS object, action
  FROM credit_ledger.citus_distribute();

-- The tables: credit_types a reference table; the customer tables hash-
-- distributed by customer_id in wallets' colocation group.
-- (citus_tables hides extension-owned tables: pg_dist_partition shows them.)
SELECT p.logicalrelid,
       CASE p.partmethod WHEN 'h' THEN 'hash' WHEN 'n' THEN 'none' END AS method,
       CASE WHEN p.partkey IS NOT NULL
            THEN column_to_column_name(p.logicalrelid, p.partkey) END AS column,
       p.repmodel,
       p.colocationid = w.colocationid AS with_wallets
  FROM pg_dist_partition p,
       (SELECT colocationid FROM pg_dist_partition
         WHERE logicalrelid = 'credit_ledger.wallets'::regclass) w
 WHERE p.logicalrelid::text LIKE 'credit_ledger.%'
 ORDER BY p.logicalrelid::text;

-- Shards: 4 per customer table spread over both workers, the reference
-- table on every node (the coordinator too).
SELECT s.logicalrelid, count(DISTINCT s.shardid) AS shards,
       count(DISTINCT p.groupid) AS nodes
  FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid)
 WHERE s.logicalrelid::text LIKE 'credit_ledger.%'
 GROUP BY s.logicalrelid ORDER BY s.logicalrelid::text;
-- Colocated: each shard of a customer table covers the same hash range as a
-- shard of wallets, on the same node.
SELECT count(*) AS shards, count(*) FILTER (WHERE p.groupid = wp.groupid) AS beside_wallets
  FROM pg_dist_shard s
  JOIN pg_dist_placement p USING (shardid)
  JOIN pg_dist_shard ws ON ws.logicalrelid = 'credit_ledger.wallets'::regclass
                       AND ws.shardminvalue = s.shardminvalue
                       AND ws.shardmaxvalue = s.shardmaxvalue
  JOIN pg_dist_placement wp ON wp.shardid = ws.shardid
 WHERE s.logicalrelid::text LIKE 'credit_ledger.%'
   AND s.logicalrelid <> 'credit_ledger.credit_types'::regclass;

-- The customer-scoped functions are delegated by their first argument
-- (customer_id) with wallets' colocation; those that write or are written
-- in C with force_delegation.
SELECT o.objid::regprocedure AS routine, o.distribution_argument_index AS argument,
       o.colocationid = w.colocationid AS with_wallets, o.force_delegation
  FROM pg_dist_object o,
       (SELECT colocationid FROM pg_dist_partition
         WHERE logicalrelid = 'credit_ledger.wallets'::regclass) w
 WHERE o.classid = 'pg_proc'::regclass AND o.distribution_argument_index IS NOT NULL
 ORDER BY 1::text;
-- The others are not: no customer argument, or one that defaults to NULL
-- (a delegated call with the default would crash the coordinator).
SELECT p.oid::regprocedure AS not_delegated
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
 WHERE p.pronamespace = 'public'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_dist_object o
                    WHERE o.classid = 'pg_proc'::regclass AND o.objid = p.oid
                      AND o.distribution_argument_index IS NOT NULL)
 ORDER BY 1::text;

-- The append-only triggers are on every shard, and fire there.
SELECT result AS triggers, count(*) AS shards
  FROM run_command_on_shards('credit_ledger.entries',
         $$SELECT string_agg(regexp_replace(tgname, '_[0-9]+$', ''), ', ' ORDER BY tgname)
             FROM pg_trigger WHERE tgrelid = '%s'::regclass$$)
 GROUP BY result;
-- A row Citus routes to a shard: changing it is refused there, by the
-- shard's trigger (the shell table on the coordinator has no row to fire
-- on). The message names the shard (masked here). (credit_ledger.operations
-- is a view of operation_rows and the standalone entries, not writable.)
INSERT INTO credit_ledger.operation_rows
       (operation_id, customer_id, wallet_id, credit_type, operation_type,
        first_seq, last_seq, created_at)
VALUES (1, 'trigger_probe', 1, 'usd', 'grant', 1, 1, now());
SET citus.enable_ddl_propagation = off;  -- a temporary function stays here
CREATE FUNCTION pg_temp.refused(statement text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'not refused';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '_[0-9]+ ', '_<shard> ');
END
$$;
RESET citus.enable_ddl_propagation;
SELECT pg_temp.refused($$UPDATE credit_ledger.operation_rows SET last_seq = 2
                          WHERE customer_id = 'trigger_probe'$$);
SELECT pg_temp.refused($$DELETE FROM credit_ledger.operation_rows
                          WHERE customer_id = 'trigger_probe'$$);

-- Each node draws every id sequence from its own range (group g: from
-- (g << 48) + 1), the coordinator's from 1; the ranges are disjoint.
CREATE TEMP TABLE ranges AS
SELECT n.groupid, r.result
  FROM run_command_on_all_nodes(
         $$SELECT count(*) || ' sequences, ids ' || min(q.seqmin) || '..' || max(q.seqmax)
                  || CASE WHEN count(DISTINCT (q.seqmin, q.seqmax)) = 1 THEN '' ELSE ' (differ)' END
             FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid
            WHERE c.relnamespace = 'credit_ledger'::regnamespace$$) r
  JOIN pg_dist_node n USING (nodeid);
SELECT * FROM ranges ORDER BY groupid;
SELECT bool_and(lo > prev_hi) AS disjoint
  FROM (SELECT lo, lag(hi) OVER (ORDER BY lo) AS prev_hi
          FROM (SELECT split_part(split_part(result, 'ids ', 2), '..', 1)::bigint AS lo,
                       split_part(result, '..', 2)::bigint AS hi
                  FROM ranges) b) o
 WHERE prev_hi IS NOT NULL;
-- A nextval on each node comes from that node's range.
SELECT n.groupid, r.result::bigint >> 48 AS range_of_group
  FROM run_command_on_all_nodes($$SELECT nextval('credit_ledger.grant_id_seq')$$) r
  JOIN pg_dist_node n USING (nodeid)
 ORDER BY n.groupid;

-- On a worker it refuses: only the coordinator distributes.
SELECT success, result
  FROM run_command_on_workers('SELECT count(*) FROM credit_ledger.citus_distribute()');
