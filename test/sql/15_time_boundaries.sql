-- Exact boundaries: a grant is spendable while effective_at <= now <
-- expires_at, to the microsecond, whatever the session's time zone, and
-- across a daylight-saving change. Time is an instant, never a wall clock.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
CREATE FUNCTION pg_temp.at(t timestamptz) RETURNS TABLE (clock timestamptz, balance numeric, consumed text)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('credit_ledger.clock', t::text, true);
  clock := credit_ledger.ledger_now();
  balance := credit_balance('b', 'usd');
  BEGIN
    PERFORM credit_consume('b', 'usd', 0.01);
    consumed := 'ok';
    RAISE EXCEPTION 'undo' USING ERRCODE = 'P0001';
  EXCEPTION
    WHEN SQLSTATE 'P0001' THEN NULL;
    WHEN SQLSTATE 'LG001' THEN consumed := 'LG001';
  END;
  RETURN NEXT;
END $$;

-- A block effective at 2026-03-10 09:00 UTC and expiring at 2026-03-20 09:00 UTC.
SELECT credit_grant('b', 'usd', 10, effective_at => '2026-03-10 09:00:00+00',
                    expires_at => '2026-03-20 09:00:00+00');

-- Around effective_at and expires_at, in UTC.
BEGIN;
SELECT * FROM pg_temp.at('2026-03-10 08:59:59.999999+00');
SELECT * FROM pg_temp.at('2026-03-10 09:00:00+00');
SELECT * FROM pg_temp.at('2026-03-10 09:00:00.000001+00');
SELECT * FROM pg_temp.at('2026-03-20 08:59:59.999999+00');
SELECT * FROM pg_temp.at('2026-03-20 09:00:00+00');
SELECT * FROM pg_temp.at('2026-03-20 09:00:00.000001+00');
COMMIT;

-- The same instants written in other zones give the same answers.
SET TimeZone = 'America/New_York';
BEGIN;
-- (New York is on EDT, UTC-4, after 8 March: 09:00 UTC is 05:00 local.)
SELECT * FROM pg_temp.at('2026-03-10 04:59:59.999999');
SELECT * FROM pg_temp.at('2026-03-10 05:00:00');
SELECT * FROM pg_temp.at('2026-03-20 04:59:59.999999');
SELECT * FROM pg_temp.at('2026-03-20 05:00:00');
COMMIT;
SET TimeZone = 'Asia/Kolkata';
BEGIN;
SELECT * FROM pg_temp.at('2026-03-20 14:29:59.999999');
SELECT * FROM pg_temp.at('2026-03-20 14:30:00');
COMMIT;

-- Across a DST change: New York's clocks went from 01:59:59 EST straight to
-- 03:00 EDT on 2026-03-08. A block expiring at 03:00 EDT lapses exactly one
-- real hour after 01:00 EST, not two.
SET TimeZone = 'America/New_York';
SET credit_ledger.clock = '2026-03-08 00:00:00';
SELECT credit_grant('d', 'usd', 1, expires_at => '2026-03-08 03:00:00');
SELECT expires_at, expires_at AT TIME ZONE 'UTC' AS utc FROM credit_ledger.grants WHERE customer_id = 'd';
SET credit_ledger.clock = '2026-03-08 01:59:59.999999';
SELECT credit_balance('d', 'usd');
SET credit_ledger.clock = '2026-03-08 03:00:00';
SELECT credit_balance('d', 'usd'), credit_ledger.ledger_now() - '2026-03-08 01:00:00'::timestamptz AS real_time_since_1am;
-- In autumn 01:30 happens twice; an explicit offset picks the instant.
SET credit_ledger.clock = '2026-10-31 00:00:00';
SELECT credit_grant('f', 'usd', 1, expires_at => '2026-11-01 01:30:00-05');
SET credit_ledger.clock = '2026-11-01 01:30:00-04';
SELECT credit_balance('f', 'usd') AS first_0130;
SET credit_ledger.clock = '2026-11-01 01:30:00-05';
SELECT credit_balance('f', 'usd') AS second_0130;
SELECT credit_expire();
SELECT entry_type, occurred_at, occurred_at AT TIME ZONE 'UTC' AS utc
  FROM credit_ledger.entries WHERE customer_id = 'f' ORDER BY seq;

SET TimeZone = 'UTC';
SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
