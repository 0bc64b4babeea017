-- credit_ledger 1.2, priced usage: one credit_report_usage per transaction
-- (feature 'api', 1 usd per unit: the same credits as ledger_consume.sql),
-- a random wallet of c1..c:wallets, with a fresh idempotency key.
\set w random(1, :wallets)
SELECT * FROM credit_report_usage('c' || :w, 'api', 1, gen_random_uuid()::text);
