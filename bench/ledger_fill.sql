-- bench/ledger_fill.sql: grows credit_ledger's ledger to :rows entries of
-- other customers, quickly (INSERT ... SELECT generate_series), for the
-- "0 vs 10 million ledger entries" comparison in bench/run.sh.
--
-- The filler belongs to customers filler-1..filler-W (W = :rows / 100), each
-- with a wallet, one grant of 1000 credits and 100 entries (the grant, then
-- 99 usage entries of 1), every entry with its own operation carrying a
-- 32-character idempotency key's digest (the first 16 bytes of its SHA-256;
-- 8 of the request's)
-- — so entries, operations and their indexes (the key indexes are keyed by
-- a random digest) grow as a real ledger's do. As credit_consume stores
-- them, each usage entry is its own operation (standalone, its key on the
-- entry, under entries_key_idx); the grants' operations are rows of
-- operation_rows. Entries are interleaved across wallets
-- in time order, as real traffic would write them. Seq, balance_after and
-- remaining are consistent; the hash chain is NOT computed (a constant
-- placeholder), so credit_verify() reports the filler wallets — never the
-- measured wallets c1..cN, which bench/run.sh verifies.
--
-- Three parts, so the two large INSERTs can run in two sessions at once:
--   psql -v rows=N -v part=setup       (wallets, grants; reserves ids)
--   psql -v rows=N -v part=entries  &  psql -v rows=N -v part=operations
--   psql -v rows=N -v part=finish      (advances the sequences, ANALYZE)

\set ON_ERROR_STOP 1
SELECT (:rows + 99) / 100 AS fill_wallets \gset

\if :{?part}
\else
\echo 'ledger_fill.sql: set -v part=setup|entries|operations|finish'
\quit
\endif

SELECT :'part' = 'setup' AS is_setup, :'part' = 'entries' AS is_entries,
       :'part' = 'operations' AS is_operations, :'part' = 'finish' AS is_finish \gset

\if :is_setup
-- Id ranges above everything the benchmark's own calls will use, recorded
-- for the other parts.
CREATE TABLE bench_fill (wallet_base bigint, grant_base bigint, op_base bigint, entry_base bigint,
                         t0 timestamptz);
INSERT INTO bench_fill
SELECT 1000000000, 1000000000, 1000000000, 1000000000, now() - interval '365 days';
INSERT INTO credit_ledger.wallets (wallet_id, customer_id, credit_type, balance, overdraft_limit,
                                   debt, last_seq, last_hash, created_at, updated_at,
                                   latest_effective_at)
SELECT f.wallet_base + w, 'filler-' || w, 'usd', 901.00, 0, 0, 100,
       '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', f.t0, now(), f.t0
  FROM bench_fill f, generate_series(1, :fill_wallets) w;
INSERT INTO credit_ledger.grants (grant_id, wallet_id, customer_id, credit_type, amount, remaining,
                                  promotional, priority, cost_basis, effective_at, expires_at,
                                  expired_amount, voided_amount, kind, operation_id, created_at,
                                  open)
SELECT f.grant_base + w, f.wallet_base + w, 'filler-' || w, 'usd', 1000.00, 901.00, false, 50,
       0.01, f.t0, now() + interval '5 years', 0, 0, 'grant', f.op_base + w, f.t0, true
  FROM bench_fill f, generate_series(1, :fill_wallets) w;
\endif

\if :is_entries
-- Entry k = (s - 1) * W + w is wallet w's seq s.
INSERT INTO credit_ledger.entries (entry_id, wallet_id, customer_id, credit_type, seq, entry_type,
                                   amount, value, balance_after, grant_id, operation_id,
                                   promotional, feature, actor, occurred_at, created_at, hash,
                                   key_hash, request_hash, standalone)
SELECT f.entry_base + k, f.wallet_base + w, 'filler-' || w, 'usd', s,
       CASE WHEN s = 1 THEN 'grant' ELSE 'usage' END,
       CASE WHEN s = 1 THEN 1000.00 ELSE -1.00 END,
       CASE WHEN s = 1 THEN 10.0000 ELSE -0.0100 END,
       1000.00 - (s - 1), f.grant_base + w, f.op_base + k, false,
       CASE WHEN s = 1 THEN NULL ELSE 'api' END, 'postgres',
       f.t0 + k * interval '1 ms', f.t0 + k * interval '1 ms', sha256(int8send(k)),
       CASE WHEN s > 1 THEN substr(sha256(convert_to(md5(k::text), 'UTF8')), 1, 16) END,
       CASE WHEN s > 1 THEN substr(sha256(int8send(-k)), 1, 8) END,
       CASE WHEN s > 1 THEN true END
  FROM bench_fill f,
       generate_series(1, 100) s,
       LATERAL generate_series(1, :fill_wallets) w,
       LATERAL (SELECT (s - 1)::bigint * :fill_wallets + w AS k) x
 WHERE k <= :rows;
\endif

\if :is_operations
INSERT INTO credit_ledger.operation_rows (operation_id, customer_id, wallet_id, credit_type,
                                          operation_type, key_hash, request_hash,
                                          amount, balance, grant_id, first_seq, last_seq, created_at)
SELECT f.op_base + k, 'filler-' || w, f.wallet_base + w, 'usd', 'grant',
       substr(sha256(convert_to(md5(k::text), 'UTF8')), 1, 16),
       substr(sha256(int8send(-k)), 1, 8), 1000.00, NULL, f.grant_base + w, 1, 1,
       f.t0 + k * interval '1 ms'
  FROM bench_fill f,
       generate_series(1, :fill_wallets) w,
       LATERAL (SELECT w::bigint AS k) x
 WHERE k <= :rows;
\endif

\if :is_finish
DROP TABLE bench_fill;
VACUUM ANALYZE credit_ledger.wallets, credit_ledger.grants, credit_ledger.operation_rows,
               credit_ledger.entries;
\endif
