-- bench/ledger_fill.sql: grows credit_ledger's ledger by the filler entries
-- :from + 1 .. :rows of other customers, quickly (INSERT ... SELECT
-- generate_series), for the "consume cost by ledger size" section of
-- bench/run.sh. Called once per size of BENCH_LEDGER_ROWS, each call
-- continuing where the previous one stopped (from = the previous size, 0 the
-- first time), so the largest size costs one fill in all.
--
-- Each call (a "chunk" of n = :rows - :from entries) belongs to customers
-- filler-(o+1)..filler-(o+W) (W = ceil(n / 100), o = the filler wallets of
-- the chunks before), each with a wallet, one grant of 1000 credits and up
-- to 100 entries (the grant, then usage entries of 1), every entry with its
-- own operation carrying a 32-character idempotency key's digest (the first
-- 16 bytes of its SHA-256; 8 of the request's) — so entries, operations and
-- their indexes (the key indexes are keyed by a random digest) grow as a
-- real ledger's do. As credit_consume stores them, each usage entry is its
-- own operation (standalone, its key on the entry, under entries_key_idx);
-- the grants' operations are rows of operation_rows. Entries are
-- interleaved across wallets in time order, as real traffic would write
-- them: filler entry k (1..:rows over all chunks) occurred at t0 + k ms.
-- The rows are valid under the 1.2 schema (the columns 1.2 added to
-- wallets, grants, entries and operations keep their defaults: no holds,
-- nothing scheduled, unpriced usage); seq, balance_after, remaining, the
-- wallet's balance, last_seq and latest_effective_at are consistent, and the
-- wallet's last_hash is its newest entry's hash. The hash chain itself is
-- NOT computed (each entry's hash is a placeholder digest), so
-- credit_verify() reports hash_mismatch on the filler wallets and nothing
-- else (bench/run.sh checks that on a sample of them, and that the measured
-- wallets c1..cN are clean).
--
-- Four parts, so the two large INSERTs can run in two sessions at once:
--   psql -v from=M -v rows=N -v part=setup       (wallets, grants; records the chunk)
--   psql -v rows=N -v part=entries  &  psql -v rows=N -v part=operations
--   psql -v rows=N -v part=finish                (VACUUM ANALYZE)
-- The table bench_fill (public schema) records the chunks; it stays.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

\if :{?part}
\else
\echo 'ledger_fill.sql: set -v part=setup|entries|operations|finish'
\quit
\endif
\if :{?from}
\else
\set from 0
\endif

SELECT :'part' = 'setup' AS is_setup, :'part' = 'entries' AS is_entries,
       :'part' = 'operations' AS is_operations, :'part' = 'finish' AS is_finish \gset

\if :is_setup
-- Id ranges above everything the benchmark's own calls will use; one row per
-- chunk: its entries from_rows + 1 .. to_rows, its W wallets after
-- wallet_off others.
CREATE TABLE IF NOT EXISTS bench_fill (
    from_rows bigint NOT NULL, to_rows bigint PRIMARY KEY, wallets bigint NOT NULL,
    wallet_off bigint NOT NULL, wallet_base bigint NOT NULL, grant_base bigint NOT NULL,
    op_base bigint NOT NULL, entry_base bigint NOT NULL, t0 timestamptz NOT NULL,
    CHECK (to_rows > from_rows));
INSERT INTO bench_fill
SELECT :from, :rows, (:rows - :from + 99) / 100,
       coalesce((SELECT sum(wallets) FROM bench_fill), 0),
       1000000000, 1000000000, 1000000000, 1000000000,
       coalesce((SELECT min(t0) FROM bench_fill), now() - interval '365 days')
 WHERE :from = coalesce((SELECT max(to_rows) FROM bench_fill), 0);
SELECT count(*) = 1 AS chunk_ok FROM bench_fill WHERE to_rows = :rows AND from_rows = :from \gset
\if :chunk_ok
\else
\echo 'ledger_fill.sql: from must be the rows of the previous chunk (0 the first time)'
SELECT 1 / 0 AS ledger_fill_out_of_order;
\endif
-- Wallet w of a chunk of n entries over W wallets holds entries s = 1..n_w,
-- n_w = least(100, (n - w) / W + 1) (its seq s is the chunk's entry
-- (s - 1) * W + w), so its balance and grant's remaining are 1001 - n_w.
CREATE TEMP VIEW fill_wallets AS
SELECT f.*, w, f.wallet_off + w AS fw, least(100, (f.to_rows - f.from_rows - w) / f.wallets + 1) AS n_w
  FROM bench_fill f, generate_series(1, f.wallets) w
 WHERE f.to_rows = :rows;
INSERT INTO credit_ledger.wallets (wallet_id, customer_id, credit_type, balance, overdraft_limit,
                                   debt, last_seq, last_hash, created_at, updated_at,
                                   latest_effective_at)
SELECT wallet_base + fw, 'filler-' || fw, 'usd', 1001.00 - n_w, 0, 0, n_w,
       sha256(int8send(from_rows + (n_w - 1) * wallets + w)), t0, now(), t0
  FROM fill_wallets;
INSERT INTO credit_ledger.grants (grant_id, wallet_id, customer_id, credit_type, amount, remaining,
                                  promotional, priority, cost_basis, effective_at, expires_at,
                                  expired_amount, voided_amount, kind, operation_id, created_at,
                                  open)
SELECT grant_base + fw, wallet_base + fw, 'filler-' || fw, 'usd', 1000.00, 1001.00 - n_w, false, 50,
       0.01, t0, now() + interval '5 years', 0, 0, 'grant', op_base + from_rows + w, t0, true
  FROM fill_wallets;
\endif

\if :is_entries
-- The chunk's entry i = (s - 1) * W + w is wallet w's seq s; k = from + i.
INSERT INTO credit_ledger.entries (entry_id, wallet_id, customer_id, credit_type, seq, entry_type,
                                   amount, value, balance_after, grant_id, operation_id,
                                   promotional, feature, actor, occurred_at, created_at, hash,
                                   key_hash, request_hash, standalone)
SELECT f.entry_base + k, f.wallet_base + f.wallet_off + w, 'filler-' || (f.wallet_off + w), 'usd', s,
       CASE WHEN s = 1 THEN 'grant' ELSE 'usage' END,
       CASE WHEN s = 1 THEN 1000.00 ELSE -1.00 END,
       CASE WHEN s = 1 THEN 10.0000 ELSE -0.0100 END,
       1000.00 - (s - 1), f.grant_base + f.wallet_off + w, f.op_base + k, false,
       CASE WHEN s = 1 THEN NULL ELSE 'api' END, 'postgres',
       f.t0 + k * interval '1 ms', f.t0 + k * interval '1 ms', sha256(int8send(k)),
       CASE WHEN s > 1 THEN substr(sha256(convert_to(md5(k::text), 'UTF8')), 1, 16) END,
       CASE WHEN s > 1 THEN substr(sha256(int8send(-k)), 1, 8) END,
       CASE WHEN s > 1 THEN true END
  FROM bench_fill f,
       generate_series(1, 100) s,
       LATERAL generate_series(1, f.wallets + 0 * s) w,  -- (s outside w: time order)
       LATERAL (SELECT (s - 1)::bigint * f.wallets + w AS i) x,
       LATERAL (SELECT f.from_rows + x.i AS k) y
 WHERE f.to_rows = :rows AND x.i <= f.to_rows - f.from_rows;
\endif

\if :is_operations
INSERT INTO credit_ledger.operation_rows (operation_id, customer_id, wallet_id, credit_type,
                                          operation_type, key_hash, request_hash,
                                          amount, balance, grant_id, first_seq, last_seq, created_at)
SELECT f.op_base + k, 'filler-' || (f.wallet_off + w), f.wallet_base + f.wallet_off + w, 'usd', 'grant',
       substr(sha256(convert_to(md5(k::text), 'UTF8')), 1, 16),
       substr(sha256(int8send(-k)), 1, 8), 1000.00, NULL, f.grant_base + f.wallet_off + w, 1, 1,
       f.t0 + k * interval '1 ms'
  FROM bench_fill f,
       generate_series(1, f.wallets) w,
       LATERAL (SELECT f.from_rows + w AS k) y
 WHERE f.to_rows = :rows AND w <= f.to_rows - f.from_rows;
\endif

\if :is_finish
VACUUM ANALYZE credit_ledger.wallets, credit_ledger.grants, credit_ledger.operation_rows,
               credit_ledger.entries;
\endif
