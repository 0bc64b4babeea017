-- credit_ledger: one usage event per transaction, without an idempotency key.
\set w random(1, :wallets)
SELECT * FROM credit_consume('c' || :w, 'usd', 1, NULL, 'api');
