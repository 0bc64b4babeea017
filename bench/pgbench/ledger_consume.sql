-- credit_ledger: one usage event per transaction, a random wallet of
-- c1..c:wallets, with a fresh idempotency key (real usage events carry one).
\set w random(1, :wallets)
SELECT * FROM credit_consume('c' || :w, 'usd', 1, gen_random_uuid()::text, 'api');
