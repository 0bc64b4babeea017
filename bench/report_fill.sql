-- bench/report_fill.sql: a ledger of :rows usage entries for the report
-- timings of bench/reports.sh, written in bulk (INSERT ... SELECT
-- generate_series), like bench/ledger_fill.sql but spread over a year:
-- customers r-1..r-:customers, each with a wallet and one grant, and usage
-- entries interleaved across customers in time order, one every
-- (365 days / :rows), each with one of four features and a metadata user_id
-- of twenty. Only wallets, grants and entries are written (the usage report
-- reads nothing else for usage rows); seq and balance_after are consistent,
-- the hash chain is a placeholder.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT credit_type_create('usd', 2);
SELECT (:rows / :customers) AS per_customer \gset
CREATE TEMP TABLE fill AS SELECT now() - interval '365 days' AS t0,
       interval '365 days' / :rows AS step;
INSERT INTO credit_ledger.wallets (wallet_id, customer_id, credit_type, balance, overdraft_limit,
                                   debt, last_seq, created_at, updated_at, latest_effective_at)
SELECT w, 'r-' || w, 'usd', 1000000000 - (:per_customer - 1), 0, 0, :per_customer, f.t0, now(), f.t0
  FROM fill f, generate_series(1, :customers) w;
INSERT INTO credit_ledger.grants (grant_id, wallet_id, customer_id, credit_type, amount, remaining,
                                  promotional, priority, cost_basis, effective_at, expires_at,
                                  expired_amount, voided_amount, kind, operation_id, created_at, open)
SELECT w, w, 'r-' || w, 'usd', 1000000000, 1000000000 - (:per_customer - 1), false, 50, 0.01,
       f.t0, now() + interval '5 years', 0, 0, 'grant', w, f.t0, true
  FROM fill f, generate_series(1, :customers) w;
-- Entry k = (s - 1) * customers + w is customer w's seq s; seq 1 is the grant.
INSERT INTO credit_ledger.entries (entry_id, wallet_id, customer_id, credit_type, seq, entry_type,
                                   amount, value, balance_after, grant_id, operation_id,
                                   promotional, feature, actor, metadata, occurred_at, created_at, hash)
SELECT k, w, 'r-' || w, 'usd', s,
       CASE WHEN s = 1 THEN 'grant' ELSE 'usage' END,
       CASE WHEN s = 1 THEN 1000000000 ELSE -1.00 END,
       CASE WHEN s = 1 THEN 10000000.0000 ELSE -0.0100 END,
       1000000000 - (s - 1), w, k, false,
       CASE WHEN s = 1 THEN NULL ELSE (ARRAY['chat', 'embed', 'image', 'search'])[1 + k % 4] END,
       'app',
       CASE WHEN s = 1 THEN NULL ELSE jsonb_build_object('user_id', 'u' || (k % 20)) END,
       f.t0 + k * f.step, f.t0 + k * f.step, '\x00'
  FROM fill f,
       generate_series(1, :per_customer) s,
       LATERAL generate_series(1, :customers) w,
       LATERAL (SELECT (s - 1)::bigint * :customers + w AS k) x
 ORDER BY k;  -- appended in time order, as a ledger is
SELECT setval('credit_ledger.wallet_id_seq', :customers), setval('credit_ledger.grant_id_seq', :customers),
       setval('credit_ledger.entry_id_seq', :rows + 1), setval('credit_ledger.operation_id_seq', :rows + 1);
VACUUM ANALYZE credit_ledger.entries;
