-- bench/depleted.sql: wallets for the "1 vs many grants in a wallet" cost
-- comparison in bench/run.sh, in credit_ledger and in the baseline alike:
--   shallow-<impl>: one active grant;
--   deep-<impl>:    :grants depleted grants (granted, then drawn to zero by
--                   one consume), then one active grant;
--   lapsed-<impl>:  :grants grants that lapsed unspent before the sweep
--                   reached them (granted with the clock two days back,
--                   expiring a day ago), then one active grant: since 1.2
--                   that grant's own write catches the wallet up first,
--                   expiring all of them (one expiration entry each), so
--                   the consumes measured meet them closed, as the sweep
--                   would have left them;
--   open-<impl>:    the active grant and :open_grants open grants of 1
--                   credit at priority 90, drawn only after it: every
--                   consume reads them all, none is ever depleted.
-- The active grant is the same everywhere: 1e9 credits at cost basis 0.01,
-- expiring in 10 years. Needs a superuser (it moves credit_ledger.clock).

\set ON_ERROR_STOP 1

SELECT count(credit_grant('deep-ledger', 'usd', 1, priority => 10)) AS depleted_ledger
  FROM generate_series(1, :grants);
SELECT amount FROM credit_consume('deep-ledger', 'usd', :grants);
SELECT count(baseline.grant('deep-baseline', 'usd', 1, priority => 10)) AS depleted_baseline
  FROM generate_series(1, :grants);
SELECT amount FROM baseline.consume('deep-baseline', 'usd', :grants);

SELECT set_config('credit_ledger.clock', (now() - interval '2 days')::text, false),
       set_config('baseline.clock', (now() - interval '2 days')::text, false);
SELECT count(credit_grant('lapsed-ledger', 'usd', 1, priority => 10,
                          expires_at => now() - interval '1 day' + i * interval '1 ms')) AS lapsed_ledger
  FROM generate_series(1, :grants) i;
SELECT count(baseline.grant('lapsed-baseline', 'usd', 1, priority => 10,
                            expires_at => now() - interval '1 day' + i * interval '1 ms')) AS lapsed_baseline
  FROM generate_series(1, :grants) i;
RESET credit_ledger.clock;
RESET baseline.clock;

SELECT count(credit_grant(c || '-ledger', 'usd', 1000000000, cost_basis => 0.01,
                          expires_at => now() + interval '10 years')),
       count(baseline.grant(c || '-baseline', 'usd', 1000000000, cost_basis => 0.01,
                            expires_at => now() + interval '10 years'))
  FROM unnest(ARRAY['shallow', 'deep', 'lapsed', 'open']) c;
SELECT count(credit_grant('open-ledger', 'usd', 1, priority => 90)),
       count(baseline.grant('open-baseline', 'usd', 1, priority => 90))
  FROM generate_series(1, :open_grants);
VACUUM ANALYZE credit_ledger.grants, baseline.grants;
