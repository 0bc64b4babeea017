-- bench/setup.sql: the benchmark database: credit_ledger, the PL/pgSQL
-- baseline and the floor side by side, each with wallets c1..c:wallets
-- holding one large grant (1e9 credits of type usd, scale 2, cost basis
-- 0.01, expiring in 10 years), so that no workload runs dry.
-- Run by bench/run.sh: psql -v wallets=N -f bench/setup.sql (from bench/).

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION credit_ledger;
\ir baseline.sql
\ir floor.sql

SELECT credit_type_create('usd', 2);
SELECT baseline.credit_type_create('usd', 2);

SELECT count(credit_grant('c' || i, 'usd', 1000000000, cost_basis => 0.01,
                          expires_at => now() + interval '10 years'))
  FROM generate_series(1, :wallets) i;
SELECT count(baseline.grant('c' || i, 'usd', 1000000000, cost_basis => 0.01,
                            expires_at => now() + interval '10 years'))
  FROM generate_series(1, :wallets) i;
SELECT floor.load(:wallets);

-- 1.2: the price of the priced-usage workloads (feature 'api', 1 usd per
-- unit), where credit_price_set exists, and the baseline's.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'credit_price_set') THEN
    EXECUTE $q$SELECT credit_price_set('api', 'usd', 1, effective_at => now() - interval '1 day')$q$;
  END IF;
END $$;
SELECT baseline.price_set('api', 'usd', 1, effective_at => now() - interval '1 day');

VACUUM ANALYZE;
