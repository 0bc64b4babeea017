-- The PL/pgSQL baseline: one usage event per transaction, a random wallet of
-- c1..c:wallets, with a fresh idempotency key.
\set w random(1, :wallets)
SELECT * FROM baseline.consume('c' || :w, 'usd', 1, gen_random_uuid()::text, 'api');
