-- Recurring grants and rollover (1.2, issue 14): a schedule issues a block
-- every period, computed from starts_at in its time zone (never by repeated
-- addition), exactly once, dated from its start whether or not anything
-- ran; a lapsing recurring block rolls up to rollover_max over into a new
-- block (a pair of rollover entries), the rest expires.
\i test/sql/include/setup.sql
SELECT credit_type_create('tok', 0);
SELECT credit_type_create('usd', 2);
\i test/sql/include/sqlstate_of.sql
-- What a failing call must leave untouched.
CREATE FUNCTION pg_temp.written() RETURNS bigint LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM credit_ledger.operations) + (SELECT count(*) FROM credit_ledger.entries)
       + (SELECT count(*) FROM credit_ledger.events) + (SELECT count(*) FROM credit_ledger.grants)
       + (SELECT count(*) FROM credit_ledger.recurring_grants) + (SELECT count(*) FROM credit_ledger.wallets)
$$;
CREATE FUNCTION pg_temp.ledger(customer text) RETURNS TABLE
  (seq bigint, entry_type text, amount numeric, balance_after numeric, grant_kind text, occurred_at timestamptz)
LANGUAGE sql AS $$
  SELECT e.seq, e.entry_type, e.amount, e.balance_after, g.kind, e.occurred_at
    FROM credit_ledger.entries e
    LEFT JOIN credit_ledger.grants g ON g.grant_id = e.grant_id AND g.customer_id = e.customer_id
   WHERE e.customer_id = customer ORDER BY e.seq
$$;
CREATE FUNCTION pg_temp.blocks(customer text) RETURNS TABLE
  (kind text, period bigint, amount numeric, remaining numeric, effective_at timestamptz,
   expires_at timestamptz, expired_amount numeric, rolled_over_amount numeric, source_id text, from_period bigint)
LANGUAGE sql AS $$
  SELECT g.kind, g.period, g.amount, g.remaining, g.effective_at, g.expires_at, g.expired_amount,
         g.rolled_over_amount, g.source_id, f.period
    FROM credit_ledger.grants g
    LEFT JOIN credit_ledger.grants f ON f.grant_id = g.rolled_from_grant_id AND f.customer_id = g.customer_id
   WHERE g.customer_id = customer ORDER BY g.effective_at, g.kind DESC, g.grant_id
$$;

-- 1. A Pro plan: 5,000 credits every month from January 31, each block
-- lapsing a month after its start, up to 1,000 rolling over. Created on
-- March 1 with starts_at in the past, it issues January 31's and February
-- 28's periods at once, each dated at its start; January's block lapses on
-- February 28 (1,000 roll into a block expiring on March 31 = January 31 +
-- 2 months, 4,000 expire), before February's period starts at that instant.
SELECT credit_recurring_create('pro', 'tok', 5000, '1 month', starts_at => '2026-01-31',
                               expire_after => '1 month', rollover_max => 1000,
                               reason => 'pro plan', idempotency_key => 'pro-plan') AS pro_id \gset
SELECT credit_balance('pro', 'tok');
SELECT * FROM pg_temp.ledger('pro');
SELECT * FROM pg_temp.blocks('pro');
SELECT amount, every, starts_at, expire_after, rollover_max, time_zone, last_period, next_start_at
  FROM credit_ledger.recurring_grants WHERE recurring_id = :pro_id;
SELECT next_due_at FROM credit_ledger.wallets WHERE customer_id = 'pro';
-- The same key and arguments replay (no second schedule); other arguments
-- under the key raise LG002.
SELECT credit_recurring_create('pro', 'tok', 5000, '1 month', starts_at => '2026-01-31',
                               expire_after => '1 month', rollover_max => 1000,
                               reason => 'pro plan', idempotency_key => 'pro-plan') = :pro_id AS replayed;
SELECT pg_temp.sqlstate_of($$SELECT credit_recurring_create('pro', 'tok', 5000, '1 month', starts_at => '2026-01-31',
                               expire_after => '1 month', rollover_max => 999,
                               reason => 'pro plan', idempotency_key => 'pro-plan')$$);
SELECT count(*) AS schedules FROM credit_ledger.recurring_grants WHERE customer_id = 'pro';

-- 2. rollover_max more than is left: on March 15 'pro' uses 4,500 (February's
-- block lapses first: March 28 before March 31), so on its lapse only 500
-- are left and all of them roll over, nothing expires. The rollover block
-- from January lapses on March 31 and expires whole: rolled-over credit
-- does not roll again. March 31's period starts then.
SET credit_ledger.clock = '2026-03-15 00:00+00';
SELECT amount, balance FROM credit_consume('pro', 'tok', 4500);
SET credit_ledger.clock = '2026-04-01 00:00+00';
-- A read counts what happened without writing it.
SELECT credit_balance('pro', 'tok'),
       (SELECT count(*) FROM credit_ledger.entries WHERE customer_id = 'pro') AS entries_before;
SELECT amount, balance FROM credit_consume('pro', 'tok', 1);
SELECT * FROM pg_temp.ledger('pro') WHERE seq > 6;
SELECT * FROM pg_temp.blocks('pro');
SELECT event_type, payload ->> 'grant_id' IS NOT NULL AS has_grant, payload ->> 'from_grant_id' IS NOT NULL AS has_from,
       payload ->> 'amount' AS amount, payload ->> 'source_id' AS source_id, payload ->> 'balance' AS balance
  FROM credit_ledger.events WHERE customer_id = 'pro' ORDER BY event_id;

-- 3. Nobody touches 'idle': reads count its periods, the sweep writes them
-- (each once), and a second sweep finds nothing.
SET credit_ledger.clock = '2026-04-01 00:00+00';
SELECT credit_recurring_create('idle', 'usd', 10, '1 week', expire_after => '1 week', rollover_max => 2.5,
                               cost_basis => 0.01) AS idle_id \gset
SET credit_ledger.clock = '2026-04-22 00:00+00';
SELECT credit_balance('idle', 'usd') AS read_balance,
       (SELECT count(*) FROM credit_ledger.grants WHERE customer_id = 'idle') AS blocks_stored;
SELECT credit_expire() AS lapsed;
SELECT credit_balance('idle', 'usd') AS balance;
SELECT * FROM pg_temp.blocks('idle');
SELECT credit_expire() AS lapsed_again, (SELECT count(*) FROM credit_ledger.entries WHERE customer_id = 'idle') AS entries;
SELECT last_period, next_start_at FROM credit_ledger.recurring_grants WHERE recurring_id = :idle_id;
-- Breakage counts only what really expired: 7.50 of each 10.00 block
-- (2.50 rolled over), and the rollover blocks' 2.50 when they lapse. The
-- sweep recorded it all on April 22 (reports bound entries by created_at):
-- the statement's rollover is a memo line; revenue's breakage is the money
-- of what expired, 27.50 x 0.01.
SELECT event_type, count(*), sum((payload ->> 'amount')::numeric) AS amount
  FROM credit_ledger.events WHERE customer_id = 'idle' GROUP BY event_type ORDER BY event_type;
SELECT opening_balance, granted, expired, rolled_over, closing_balance
  FROM credit_statement('idle', 'usd', '2026-04-01', '2026-04-23');
SELECT sum(sold) AS sold, sum(breakage) AS breakage, sum(recognized) AS recognized,
       min(deferred_end) FILTER (WHERE period_start = '2026-04-01') AS deferred_end
  FROM credit_revenue('2026-04-01', '2026-04-23', 'usd', 'month');

-- 4. What a hold reserves at the lapse does not roll over (nor expire): of
-- 'h's 100, a hold reserves 70; at the lapse 20 of the free 30 roll over and
-- 10 expire. The hold's 70 go back to the lapsed block when it times out,
-- and leave at once (expiration) in the sweep's catch-up.
SET credit_ledger.clock = '2026-05-01 00:00+00';
SELECT credit_recurring_create('h', 'tok', 100, '10 days', expire_after => '1 day', rollover_max => 20,
                               ends_at => '2026-05-02') AS h_id \gset
SELECT hold_id AS h_hold FROM credit_hold('h', 'tok', 70, timeout => '3 days') \gset
SET credit_ledger.clock = '2026-05-02 12:00+00';
SELECT amount, balance FROM credit_consume('h', 'tok', 1);
SET credit_ledger.clock = '2026-05-05 00:00+00';
SELECT credit_expire() AS lapsed;
SELECT * FROM pg_temp.ledger('h');
SELECT status, closed_at FROM credit_ledger.holds WHERE hold_id = :h_hold;
SELECT * FROM pg_temp.blocks('h');
-- ends_at: no period starts at or after it; the schedule has nothing due.
SELECT last_period, next_start_at FROM credit_ledger.recurring_grants WHERE recurring_id = :h_id;

-- 5. Cancel: no period starts at or after `at`. It takes no key: a repeat
-- raises LG006, as does canceling a schedule that ended; a past `at` raises
-- 22023; another customer's schedule is unknown (LG004).
SET credit_ledger.clock = '2026-06-01 00:00+00';
SELECT credit_recurring_create('c', 'tok', 5, '1 day') AS c_id \gset
SELECT pg_temp.sqlstate_of(format($$SELECT credit_recurring_cancel('c', %s, '2026-05-31')$$, :c_id));
SELECT pg_temp.sqlstate_of(format($$SELECT credit_recurring_cancel('pro', %s)$$, :c_id));
SELECT pg_temp.sqlstate_of($$SELECT credit_recurring_cancel('c', 0)$$);
SELECT credit_recurring_cancel('c', :c_id, '2026-06-03 00:00+00');
SELECT canceled_at, last_period, next_start_at FROM credit_ledger.recurring_grants WHERE recurring_id = :c_id;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_recurring_cancel('c', %s)$$, :c_id));
SET credit_ledger.clock = '2026-06-10 00:00+00';
SELECT credit_balance('c', 'tok');
SELECT credit_expire() AS lapsed;
SELECT period, effective_at FROM credit_ledger.grants WHERE customer_id = 'c' ORDER BY period;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_recurring_cancel('h', %s)$$, :h_id));

-- 6. Bad input: each raises its SQLSTATE and writes nothing.
SELECT pg_temp.written() AS before \gset
SELECT bad, pg_temp.sqlstate_of(sql) FROM (VALUES
  ('every zero', $$SELECT credit_recurring_create('x', 'tok', 5, '0 days')$$),
  ('every negative', $$SELECT credit_recurring_create('x', 'tok', 5, '-1 month')$$),
  ('every mixed signs', $$SELECT credit_recurring_create('x', 'tok', 5, '1 month -1 day')$$),
  ('every null', $$SELECT credit_recurring_create('x', 'tok', 5, NULL)$$),
  ('amount null', $$SELECT credit_recurring_create('x', 'tok', NULL, '1 day')$$),
  ('amount zero', $$SELECT credit_recurring_create('x', 'tok', 0, '1 day')$$),
  ('amount beyond scale', $$SELECT credit_recurring_create('x', 'tok', 1.5, '1 day')$$),
  ('ends_at before starts_at', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', starts_at => '2026-07-01', ends_at => '2026-06-30')$$),
  ('ends_at at starts_at', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', starts_at => '2026-07-01', ends_at => '2026-07-01')$$),
  ('expire_after zero', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', expire_after => '0 days')$$),
  ('rollover_max negative', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', expire_after => '1 day', rollover_max => -1)$$),
  ('rollover_max over scale', $$SELECT credit_recurring_create('x', 'usd', 5, '1 day', expire_after => '1 day', rollover_max => 0.001)$$),
  ('rollover_max without expire_after', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', rollover_max => 1)$$),
  ('rollover_max null', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', rollover_max => NULL)$$),
  ('unknown time zone', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', time_zone => 'Mars/Olympus_Mons')$$),
  ('time zone null', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', time_zone => NULL)$$),
  ('priority negative', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', priority => -1)$$),
  ('cost_basis negative', $$SELECT credit_recurring_create('x', 'tok', 5, '1 day', cost_basis => -1)$$),
  ('unknown credit type', $$SELECT credit_recurring_create('x', 'nope', 5, '1 day')$$),
  ('customer null', $$SELECT credit_recurring_create(NULL, 'tok', 5, '1 day')$$),
  ('cancel at null id', $$SELECT credit_recurring_cancel('x', NULL)$$)
) AS t(bad, sql);
SELECT pg_temp.written() = :before AS nothing_written;

-- 7. Periods in a time zone, checked against PostgreSQL itself: with
-- TimeZone set to the schedule's zone, period k starts at starts_at + k *
-- every and its block expires at that + expire_after (a rollover block at
-- that + 2 * expire_after). Month ends (January 31 monthly), leap years
-- (February 29 yearly), DST both ways ('1 day' keeps the local clock, '24
-- hours' is elapsed time; 02:30 on March 9, 2025 does not exist in New
-- York, 02:30 on October 26, 2025 happens twice in Berlin).
SET credit_ledger.clock = '2026-06-10 00:00+00';
CREATE TEMP TABLE zoned (customer text, zone text, id bigint);
INSERT INTO zoned VALUES
  ('ny_day', 'America/New_York', credit_recurring_create('ny_day', 'tok', 1, '1 day',
     starts_at => '2025-03-06 02:30 America/New_York', ends_at => '2025-03-14',
     expire_after => '1 day', time_zone => 'America/New_York')),
  ('ny_24h', 'America/New_York', credit_recurring_create('ny_24h', 'tok', 1, '24 hours',
     starts_at => '2025-03-06 02:30 America/New_York', ends_at => '2025-03-14',
     expire_after => '24 hours', time_zone => 'America/New_York')),
  ('ny_fall', 'America/New_York', credit_recurring_create('ny_fall', 'tok', 1, '1 day',
     starts_at => '2025-10-30 01:30 America/New_York', ends_at => '2025-11-06',
     expire_after => '1 day 12 hours', time_zone => 'America/New_York')),
  ('berlin_fall', 'Europe/Berlin', credit_recurring_create('berlin_fall', 'tok', 1, '1 day',
     starts_at => '2025-10-23 02:30 Europe/Berlin', ends_at => '2025-10-30',
     expire_after => '1 day', time_zone => 'Europe/Berlin')),
  ('berlin_month', 'Europe/Berlin', credit_recurring_create('berlin_month', 'tok', 2, '1 month',
     starts_at => '2025-01-31 00:30 Europe/Berlin', ends_at => '2026-01-01',
     expire_after => '1 month', rollover_max => 1, time_zone => 'Europe/Berlin')),
  ('leap', 'UTC', credit_recurring_create('leap', 'tok', 1, '1 year',
     starts_at => '2020-02-29', expire_after => '1 year')),
  ('tokyo_week', 'Asia/Tokyo', credit_recurring_create('tokyo_week', 'tok', 1, '1 mon 1 day 1 hour',
     starts_at => '2025-01-31 23:30 Asia/Tokyo', ends_at => '2026-01-01',
     expire_after => '1 mon', time_zone => 'Asia/Tokyo'));
CREATE FUNCTION pg_temp.check_zone(z text) RETURNS TABLE
  (customer text, periods bigint, starts_match boolean, expiries_match boolean,
   rollovers bigint, rollover_expiries_match boolean)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('TimeZone', z, true);
  RETURN QUERY
  SELECT zo.customer,
         count(*) FILTER (WHERE g.kind = 'recurring'),
         bool_and(g.effective_at = r.starts_at + g.period * r.every) FILTER (WHERE g.kind = 'recurring'),
         bool_and(g.expires_at = (r.starts_at + g.period * r.every) + r.expire_after) FILTER (WHERE g.kind = 'recurring'),
         count(*) FILTER (WHERE g.kind = 'rollover'),
         bool_and(g.expires_at = (r.starts_at + g.period * r.every) + 2 * r.expire_after) FILTER (WHERE g.kind = 'rollover')
    FROM zoned zo
    JOIN credit_ledger.recurring_grants r ON r.recurring_id = zo.id
    JOIN credit_ledger.grants g ON g.recurring_id = r.recurring_id AND g.customer_id = r.customer_id
   WHERE zo.zone = z
   GROUP BY zo.customer;
END $$;
SELECT c.* FROM (SELECT DISTINCT zone FROM zoned) z, pg_temp.check_zone(z.zone) c ORDER BY c.customer;
-- What that looks like on the local clock.
SET TimeZone = 'America/New_York';
SELECT g.customer_id, g.period, g.effective_at, g.expires_at FROM credit_ledger.grants g
 WHERE g.customer_id IN ('ny_day', 'ny_24h') AND g.period BETWEEN 2 AND 4 ORDER BY 1, 2;
SET TimeZone = 'Europe/Berlin';
SELECT g.period, g.kind, g.effective_at, g.expires_at FROM credit_ledger.grants g
 WHERE g.customer_id = 'berlin_month' AND g.period <= 2 ORDER BY g.effective_at, g.kind DESC;
SET TimeZone = 'UTC';
SELECT g.period, g.effective_at, g.expires_at FROM credit_ledger.grants g
 WHERE g.customer_id = 'leap' ORDER BY g.period;

-- One catch-up issues at most 1,000 periods (kMaxPeriodsPerCatchUp): a
-- '1 minute' schedule that started a day ago issues periods 0..999 at its
-- creation and leaves the wallet due at period 1,000's start, in the past;
-- a read shows the rest as the next write stores it; that write (a consume)
-- issues the other 441, and nothing is left due.
SET credit_ledger.clock = '2027-01-01 00:00+00';
SELECT credit_recurring_create('minutely', 'tok', 1, '1 minute', starts_at => '2026-12-31 00:00+00') > 0 AS created;
SELECT count(*) AS periods, max(period) AS last_period FROM credit_ledger.grants WHERE customer_id = 'minutely';
SELECT next_due_at, balance FROM credit_ledger.wallets WHERE customer_id = 'minutely';
SELECT credit_balance('minutely', 'tok') AS read_balance;
SELECT amount, balance FROM credit_consume('minutely', 'tok', 1);
SELECT count(*) AS periods, max(period) AS last_period FROM credit_ledger.grants WHERE customer_id = 'minutely';
SELECT next_due_at, balance FROM credit_ledger.wallets WHERE customer_id = 'minutely';

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
