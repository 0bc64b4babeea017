-- The expiration sweep in production: one expiration entry per lapsed grant
-- with its remaining credits and their value, dated at expires_at and created
-- when the sweep ran; breakage (paid credits) is told from promotional
-- expiry by the ledger alone; batches; the index that serves a backlog; the
-- procedure pg_cron runs; and the scheduling helper without pg_cron.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100, cost_basis => 0.40, expires_at => '2026-03-10', reason => 'paid');
SELECT credit_grant('c', 'usd', 50, promotional => true, cost_basis => 0.40, expires_at => '2026-03-10', reason => 'promo');
SELECT credit_grant('c', 'usd', 20, expires_at => '2026-03-11', reason => 'free, no rate');
SELECT * FROM credit_consume('c', 'usd', 30);

SET credit_ledger.clock = '2026-03-15 03:00+00';
SELECT credit_expire();
SELECT e.seq, e.entry_type, e.amount, e.value, e.promotional, e.occurred_at, e.created_at, g.reason
  FROM credit_ledger.entries e JOIN credit_ledger.grants g USING (grant_id, customer_id)
 WHERE e.entry_type = 'expiration' ORDER BY e.seq;
-- Breakage revenue: the money value of paid credits that expired unused.
SELECT sum(-value) FILTER (WHERE NOT promotional) AS breakage_revenue,
       sum(-value) FILTER (WHERE promotional) AS promotional_value_expired,
       sum(-amount) AS credits_expired
  FROM credit_ledger.entries WHERE entry_type = 'expiration';
-- 1.2: the sweep catches the wallet up as its next write would: one
-- catch_up operation owns the entries of that catch-up.
SELECT operation_id, operation_type, amount, grant_id, first_seq, last_seq FROM credit_ledger.operations
 WHERE operation_type IN ('expire', 'catch_up') ORDER BY operation_id;

-- A backlog: 2,000 lapsed grants over 200 wallets, cleared in batches by the
-- procedure pg_cron calls, each batch its own transaction.
SELECT count(credit_grant('w' || (i % 200), 'usd', 1, expires_at => '2026-03-16 00:00+00'::timestamptz + i * interval '1 second'))
  FROM generate_series(1, 2000) i;
SET credit_ledger.clock = '2026-03-17 00:00+00';
SELECT lapsed_grants FROM credit_ledger.expiration_backlog;
-- The sweep's query reads the partial index of open grants by expiry in
-- order, stopping after one batch (enable_seqscan and bitmap scans off: the
-- plan a table of millions of grants gets, see BENCHMARKS.md).
ANALYZE credit_ledger.grants;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF)
SELECT grant_id FROM credit_ledger.grants
 WHERE open AND expires_at <= '2026-03-17' AND (expires_at, grant_id) > ('-infinity', 0)
 ORDER BY expires_at, grant_id LIMIT 500;
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT credit_expire(max_grants => 300);
CALL credit_expire_due(batch_size => 400);
SELECT count(*) AS backlog_rows FROM credit_ledger.expiration_backlog;
SELECT count(*) AS expirations FROM credit_ledger.entries WHERE entry_type = 'expiration';
CALL credit_expire_due(0);

-- Without pg_cron in this database the helper says what to do instead.
\set VERBOSITY default
SELECT credit_schedule_expiration();
SELECT credit_schedule_expiration('*/5 * * * *', 0);
SELECT credit_unschedule_expiration();

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
