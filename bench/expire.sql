-- bench/expire.sql: the data of the expiration-sweep measurement in
-- bench/run.sh: :wallets wallets (x1..xN), each with one active grant
-- expiring in a year, and :grants grants spread over them that lapsed a day
-- ago unswept (granted through credit_grant with credit_ledger.clock two
-- days back; distinct expiry instants). Needs a superuser.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION credit_ledger;
SELECT credit_type_create('usd', 2);
SELECT count(credit_grant('x' || w, 'usd', 1000, cost_basis => 0.01,
                          expires_at => now() + interval '1 year')) AS active
  FROM generate_series(1, :wallets) w;
SELECT set_config('credit_ledger.clock', (now() - interval '2 days')::text, false);
SELECT count(credit_grant('x' || (i % :wallets + 1), 'usd', 10, cost_basis => 0.01,
                          expires_at => now() - interval '1 day' + i * interval '1 ms')) AS lapsed
  FROM generate_series(1, :grants) i;
RESET credit_ledger.clock;
VACUUM ANALYZE;
