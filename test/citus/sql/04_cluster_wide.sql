-- The functions that are not customer-scoped, through the coordinator: the
-- sweep (credit_expire, credit_expire_due: one job on the coordinator)
-- expires on every worker, without waiting for a consume; credit_verify()
-- checks every shard; the reports read across customers. A NULL customer is
-- refused (22004) before Citus plans the delegated call (Citus 13.2 crashes
-- on one). A transaction that writes on two workers commits with
-- credit_ledger.notify off (the default) and cannot with it on.
\set VERBOSITY terse
-- Four customers, on both workers (the hash decides).
SELECT c AS customer, p.groupid
  FROM unnest(ARRAY['erin', 'frank', 'gina', 'hank']) c
  JOIN pg_dist_placement p
    ON p.shardid = get_shard_id_for_distribution_column('credit_ledger.wallets', c)
 ORDER BY c;
-- Each gets 10 credits that lapse in a second, and 5 that do not (one
-- call per customer, each the whole query, so that Citus delegates it).
SELECT g > 0 AS granted FROM credit_grant('erin', 'usd', 10, expires_at => now() + interval '1 second') g;
SELECT g > 0 AS granted FROM credit_grant('frank', 'usd', 10, expires_at => now() + interval '1 second') g;
SELECT g > 0 AS granted FROM credit_grant('gina', 'usd', 10, expires_at => now() + interval '1 second') g;
SELECT g > 0 AS granted FROM credit_grant('hank', 'usd', 10, expires_at => now() + interval '1 second') g;
SELECT g > 0 AS granted FROM credit_grant('erin', 'usd', 5) g;
SELECT g > 0 AS granted FROM credit_grant('frank', 'usd', 5) g;
SELECT g > 0 AS granted FROM credit_grant('gina', 'usd', 5) g;
SELECT g > 0 AS granted FROM credit_grant('hank', 'usd', 5) g;
SELECT pg_sleep(1.2);

-- The sweep does not wait for a consume: another session holds erin's
-- wallet in an open transaction; the sweep skips her wallet (it is due
-- again next run) and expires the other three on their workers.
\! "$($PG_CONFIG --bindir)/psql" -h 127.0.0.1 -p "$CITUS_PORT" -U postgres -X -q -c 'BEGIN' -c "SELECT credit_consume('erin', 'usd', 1)" -c 'SELECT pg_sleep(4) AS holding_erin' -c 'COMMIT' >/dev/null 2>&1 &
\set holding holding_erin
\i test/citus/sql/include/wait_until_holding.sql
SELECT clock_timestamp() AS before_sweep \gset
SELECT credit_expire() AS expired;
SELECT clock_timestamp() - :'before_sweep'::timestamptz < interval '3 seconds' AS did_not_wait;
SELECT customer_id, count(*) AS expirations
  FROM credit_ledger.entries
 WHERE entry_type = 'expiration' AND customer_id IN ('erin', 'frank', 'gina', 'hank')
 GROUP BY customer_id ORDER BY customer_id;
-- The expirations are on the customers' workers' shards.
SELECT p.groupid, sum(r.result::bigint) AS expirations
  FROM run_command_on_shards('credit_ledger.entries',
         $$SELECT count(*) FROM %s WHERE entry_type = 'expiration'
              AND customer_id IN ('erin', 'frank', 'gina', 'hank')$$) r
  JOIN pg_dist_placement p USING (shardid)
 GROUP BY p.groupid ORDER BY p.groupid;
-- Once erin's consume has committed, the sweep procedure (what the pg_cron
-- job on the coordinator runs, in batches of 2 here) expires hers too.
-- (Waits for that session to end, not for a fixed time: on a fast machine a
-- fixed sleep ended before its COMMIT.)
DO $$
BEGIN
    FOR i IN 1..300 LOOP
        PERFORM pg_stat_clear_snapshot();
        -- the background psql: it inherited pg_regress's application_name
        EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_stat_activity
                               WHERE application_name = current_setting('application_name')
                                 AND pid <> pg_backend_pid());
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
CALL credit_expire_due(2);
SELECT customer_id, count(*) AS expirations
  FROM credit_ledger.entries
 WHERE entry_type = 'expiration' AND customer_id IN ('erin', 'frank', 'gina', 'hank')
 GROUP BY customer_id ORDER BY customer_id;
SELECT credit_balance('erin', 'usd');
SELECT credit_balance('hank', 'usd');
-- Nothing is due anywhere any more.
SELECT count(*) AS due_wallets FROM credit_ledger.wallets WHERE next_due_at <= now();
SELECT credit_expire() AS expired;

-- Several batches on one pass: 5 more lapsing grants for frank; the sweep
-- bounded to 2 grants a call expires 2, then 2, then 1.
SELECT g > 0 AS granted FROM credit_grant('frank', 'usd', 1, expires_at => now() + interval '1 second') g;
SELECT g > 0 AS granted FROM credit_grant('frank', 'usd', 1, expires_at => now() + interval '1 second') g;
SELECT g > 0 AS granted FROM credit_grant('frank', 'usd', 1, expires_at => now() + interval '1 second') g;
SELECT g > 0 AS granted FROM credit_grant('frank', 'usd', 1, expires_at => now() + interval '1 second') g;
SELECT g > 0 AS granted FROM credit_grant('frank', 'usd', 1, expires_at => now() + interval '1 second') g;
SELECT pg_sleep(1.2);
SELECT credit_expire(max_grants => 2) AS expired;
SELECT credit_expire(max_grants => 2) AS expired;
SELECT credit_expire(max_grants => 2) AS expired;
SELECT credit_balance('frank', 'usd');

-- credit_verify() through the coordinator checks every worker's shards:
-- healthy, then a wallet changed behind the ledger's back on gina's worker
-- is found (and by credit_verify('gina')), then put back.
SELECT * FROM credit_verify();
UPDATE credit_ledger.wallets SET balance = balance + 1 WHERE customer_id = 'gina';
SELECT customer_id, credit_type, problem FROM credit_verify();
SELECT customer_id, credit_type, problem FROM credit_verify('gina');
UPDATE credit_ledger.wallets SET balance = balance - 1 WHERE customer_id = 'gina';
SELECT * FROM credit_verify();

-- The reports: credit_statement is delegated to the customer's worker;
-- credit_usage_report and credit_revenue read every worker's shards.
SELECT amount, balance FROM credit_consume('gina', 'usd', 2, feature => 'api');
SELECT amount, balance FROM credit_consume('hank', 'usd', 3, feature => 'api');
SELECT opening_balance, granted, used, expired, closing_balance
  FROM credit_statement('gina', 'usd', now() - interval '1 day', now() + interval '1 day');
SELECT credit_type, group_key, sum(credits) AS credits, sum(events) AS events
  FROM credit_usage_report(now() - interval '1 day', now() + interval '1 day', 'usd')
 GROUP BY credit_type, group_key ORDER BY group_key;
SELECT credit_type, group_key, sum(credits) AS credits
  FROM credit_usage_report(now() - interval '1 day', now() + interval '1 day', 'usd',
                           customer_id => 'hank')
 GROUP BY credit_type, group_key;
SELECT g > 0 AS granted FROM credit_grant('hank', 'usd', 4, cost_basis => 0.5) g;
SELECT credit_type, sum(sold) AS sold, sum(breakage) AS breakage
  FROM credit_revenue(now() - interval '1 day', now() + interval '1 day', 'usd')
 GROUP BY credit_type;

-- A NULL customer: refused with 22004 before Citus plans the call, however
-- it is written; the coordinator stays up (Citus 13.2 would crash on each
-- of these: it hashes the NULL to find the worker).
SELECT credit_consume(NULL, 'usd', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM credit_balance(NULL, 'usd');
\echo :LAST_ERROR_SQLSTATE
SELECT credit_grant(customer_id => NULL, credit_type => 'usd', amount => 1);
\echo :LAST_ERROR_SQLSTATE
SELECT credit_balance(NULL::text || 'x', 'usd');
\echo :LAST_ERROR_SQLSTATE
PREPARE balance_of(text) AS SELECT credit_balance($1, 'usd');
EXECUTE balance_of(NULL);
\echo :LAST_ERROR_SQLSTATE
EXECUTE balance_of('hank');
BEGIN;
SELECT credit_consume(NULL, 'usd', 1);
ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
-- credit_verify(NULL) is valid (every customer; it is not delegated).
SELECT count(*) AS problems FROM credit_verify(NULL);
SELECT count(*) AS nodes_up FROM run_command_on_all_nodes('SELECT 1') WHERE success;
-- A fresh session (after a refused statement Citus may stop delegating).
\c
\set VERBOSITY terse

-- Two workers in one transaction (erin and hank live on different ones):
-- Citus commits it with two-phase commit. With credit_ledger.notify off
-- (the default) it commits; with notify on, the workers' NOTIFYs make
-- PREPARE fail and nothing is written.
SELECT count(DISTINCT p.groupid) AS workers
  FROM unnest(ARRAY['erin', 'hank']) c
  JOIN pg_dist_placement p
    ON p.shardid = get_shard_id_for_distribution_column('credit_ledger.wallets', c);
BEGIN;
SELECT g > 0 AS granted FROM credit_grant('erin', 'usd', 1, idempotency_key => 'two-node-1') g;
SELECT g > 0 AS granted FROM credit_grant('hank', 'usd', 1, idempotency_key => 'two-node-1') g;
COMMIT;
SELECT count(*) AS committed FROM credit_ledger.operations
 WHERE key_hash = substr(sha256('two-node-1'), 1, 16);
-- SET LOCAL reaches the workers with citus.propagate_set_commands = local.
SET citus.propagate_set_commands = 'local';
BEGIN;
SET LOCAL credit_ledger.notify = on;
SELECT g > 0 AS granted FROM credit_grant('erin', 'usd', 1, idempotency_key => 'two-node-2') g;
SELECT g > 0 AS granted FROM credit_grant('hank', 'usd', 1, idempotency_key => 'two-node-2') g;
SET LOCAL client_min_messages = error;  -- Citus's warnings name a worker
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS committed FROM credit_ledger.operations
 WHERE key_hash = substr(sha256('two-node-2'), 1, 16);
RESET citus.propagate_set_commands;

SELECT * FROM credit_verify();
