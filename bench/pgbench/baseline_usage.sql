-- The PL/pgSQL baseline, priced usage: one baseline.report_usage per
-- transaction (feature 'api', 1 usd per unit), a random wallet of
-- c1..c:wallets, with a fresh idempotency key (ledger_usage.sql's workload).
\set w random(1, :wallets)
SELECT * FROM baseline.report_usage('c' || :w, 'api', 1, gen_random_uuid()::text);
