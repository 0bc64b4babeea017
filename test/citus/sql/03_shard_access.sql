-- What the operations do through the coordinator TODAY, before the C++
-- table access resolves each table to the customer's local shard (issue 16,
-- item 3). This file records the failures exactly, so that item 3 (and
-- item 4, the cluster-wide functions) can be built against it: each of those
-- changes turns an error below into the single-node result and updates this
-- expected output. Terse errors: a worker's error names its host and port.
\set VERBOSITY terse
-- Works: an SPI INSERT, which Citus routes to every copy of the reference
-- table.
SELECT credit_type_create('usd', 2);
SELECT n.groupid, r.result AS credit_types
  FROM run_command_on_all_nodes('SELECT count(*) FROM credit_ledger.credit_types') r
  JOIN pg_dist_node n USING (nodeid)
 ORDER BY n.groupid;

-- Delegated to the worker that owns 'alice', whose C++ code opens
-- credit_ledger.credit_types by OID: the worker's empty shell table, not
-- its copy credit_types_<shardid>. LG003 on every customer-scoped writer.
SELECT credit_wallet_configure('alice', 'usd');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_grant('alice', 'usd', 10);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM credit_consume('alice', 'usd', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM credit_adjust('alice', 'usd', 1, 'fix');
\echo :LAST_ERROR_SQLSTATE
-- The same inside the caller's transaction (force_delegation).
BEGIN;
SELECT * FROM credit_consume('alice', 'usd', 1);
ROLLBACK;

-- A wallet written by plain SQL (routed to alice's shard) is invisible to
-- the C++ readers: credit_balance still reads the shells.
INSERT INTO credit_ledger.wallets (customer_id, credit_type, balance, created_at, updated_at)
VALUES ('alice', 'usd', 5, now(), now());
SELECT credit_balance('alice', 'usd');
\echo :LAST_ERROR_SQLSTATE
-- Not delegated (no customer argument, or one defaulting to NULL): they run
-- on the coordinator. What they read through SPI, Citus routes to the
-- shards; what they read or write through the direct table access is the
-- coordinator's shell. credit_verify reads only through SPI: it works, and
-- finds the wallet whose balance (5) no entry explains.
SELECT * FROM credit_verify();
SELECT * FROM credit_verify('alice');
-- A lapsed grant, written by plain SQL to bob's shard.
INSERT INTO credit_ledger.wallets (wallet_id, customer_id, credit_type, balance, created_at, updated_at)
VALUES (7, 'bob', 'usd', 0, now(), now());
INSERT INTO credit_ledger.grants
       (grant_id, wallet_id, customer_id, credit_type, amount, remaining, promotional,
        priority, effective_at, expires_at, expired_amount, voided_amount, kind,
        operation_id, created_at, open)
VALUES (70, 7, 'bob', 'usd', 10, 10, false, 50, now() - interval '2 days',
        now() - interval '1 day', 0, 0, 'grant', 700, now(), true);
-- The sweep finds it (SPI), then cannot lock bob's wallet in the shell and
-- takes it for a wallet another transaction holds: it silently expires
-- nothing, and the backlog stays.
SELECT credit_expire();
SELECT lapsed_grants, lapsed_credits FROM credit_ledger.expiration_backlog;
-- credit_void finds the grant (SPI), then reads bob's wallet from the shell:
-- an internal error (std::optional read while empty), not a clear one.
\set VERBOSITY default
SELECT credit_void(70);
\set VERBOSITY terse
\echo :LAST_ERROR_SQLSTATE
-- credit_reverse finds operation 1 (01_distribute's probe, a grant) through
-- SPI.
SELECT * FROM credit_reverse(1);
\echo :LAST_ERROR_SQLSTATE
-- The batch reads the credit type from the coordinator's shell.
SELECT status, sqlstate, message
  FROM credit_consume_batch('[{"customer_id": "alice", "credit_type": "usd", "amount": 1}]');
-- The plpgsql readers run plain SQL, which Citus routes: they work.
SELECT count(*) AS entries FROM credit_entries('alice', 'usd');
SELECT count(*) AS usage_rows FROM credit_usage('alice', 'usd', now() - interval '1 day', now());

-- Event delivery: FOR UPDATE SKIP LOCKED across shards, and
-- clock_timestamp() in UPDATEs of a distributed table, are refused.
SELECT * FROM credit_events_claim(10, 'relay');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_events_ack(ARRAY[1]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT credit_events_release(ARRAY[1]::bigint[], 'relay');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_events_fail(ARRAY[1]::bigint[], 'relay', 'down');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_events_retry(ARRAY[1]::bigint[]);
SELECT credit_events_prune();
\echo :LAST_ERROR_SQLSTATE

-- Nothing reached a shell table on any node: the failures above wrote
-- nothing where Citus does not read.
SELECT n.groupid, r.result AS shell_bytes
  FROM run_command_on_all_nodes(
         $$SELECT sum(pg_relation_size(c.oid)) FROM pg_class c
            WHERE c.relnamespace = 'credit_ledger'::regnamespace AND c.relkind = 'r'
              AND c.relname !~ '_[0-9]+$'$$) r
  JOIN pg_dist_node n USING (nodeid)
 ORDER BY n.groupid;
