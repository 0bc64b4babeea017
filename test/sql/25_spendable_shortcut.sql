-- The spendable balance without reading the active blocks. When every block
-- of a wallet has started (now >= wallets.latest_effective_at), grants,
-- balances, voids, the sweep and wallet set-up take the spendable balance as
-- the ledger balance minus the lapsed blocks the sweep has not reached;
-- otherwise they read every open block. Proved here: on random histories the
-- answer always equals the definition (open blocks with effective_at <= now <
-- expires_at, minus the debt), by both paths; the cases that must take the
-- long path do; credit_verify catches a latest_effective_at left behind.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
\i test/sql/include/sqlstate_of.sql

-- The definition, straight from the tables.
CREATE FUNCTION pg_temp.expected(customer text) RETURNS numeric LANGUAGE sql AS $$
  SELECT coalesce((SELECT sum(g.remaining) FROM credit_ledger.grants g
                    WHERE g.customer_id = customer AND g.open
                      AND g.effective_at <= credit_ledger.ledger_now()
                      AND coalesce(g.expires_at, 'infinity') > credit_ledger.ledger_now()), 0)
         - coalesce((SELECT w.debt FROM credit_ledger.wallets w
                      WHERE w.customer_id = customer AND w.credit_type = 'usd'), 0)
$$;

-- 1. A random history over five wallets (two with an overdraft allowance):
-- grants that start now, in the past or later, expiring or not; consumes,
-- positive and negative adjustments, voids, sweeps, and a clock that moves
-- forward and back. After every step each wallet's credit_balance is
-- compared with the definition, and after every grant the balance in its
-- credits.granted event as well (1.2: a scheduled block sends it when it
-- enters, not at its creation).
SELECT credit_wallet_configure('r4', 'usd', overdraft_limit => 100);
SELECT credit_wallet_configure('r5', 'usd', overdraft_limit => 100);
CREATE TEMP TABLE tally (path text, checks int);
-- One random step on a random wallet at the clock now_at (a grant, a
-- consume, an adjustment, a void, a move of the clock or a sweep); after a
-- grant, its credits.granted event must give the balance the definition
-- gives. Returns the clock after the step.
CREATE FUNCTION pg_temp.random_step(step int, now_at timestamptz) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
  c text := 'r' || (1 + floor(random() * 5))::int;
  kind int := floor(random() * 10)::int;
  g bigint;
  eff timestamptz;
  expires timestamptz;
  got numeric;
  want numeric;
BEGIN
  IF kind <= 2 THEN
    eff := CASE floor(random() * 3)::int
             WHEN 0 THEN NULL
             WHEN 1 THEN now_at - (floor(random() * 10) || ' days')::interval
             ELSE now_at + (floor(1 + random() * 10) || ' days')::interval END;
    expires := CASE WHEN random() < 0.3 THEN NULL
                    ELSE greatest(coalesce(eff, now_at), now_at)
                         + (floor(1 + random() * 15) || ' days')::interval END;
    g := credit_grant(c, 'usd', floor(1 + random() * 100)::numeric,
                      promotional => random() < 0.3,
                      effective_at => eff, expires_at => expires);
    got := (SELECT (payload ->> 'balance')::numeric FROM credit_ledger.events
             WHERE event_type = 'credits.granted' AND (payload ->> 'grant_id')::bigint = g);
    want := pg_temp.expected(c);
    -- 1.2: a scheduled block sends credits.granted when it enters.
    IF coalesce(eff, now_at) > now_at THEN
      want := NULL;
    END IF;
    IF got IS DISTINCT FROM want THEN
      RAISE EXCEPTION 'step %: grant % to % reported balance %, expected %', step, g, c, got, want;
    END IF;
  ELSIF kind <= 5 THEN
    PERFORM credit_consume(c, 'usd', floor(1 + random() * 60)::numeric);
  ELSIF kind = 6 THEN
    PERFORM credit_adjust(c, 'usd', (floor(random() * 41) - 20)::numeric + 0.5, 'correction');
  ELSIF kind = 7 THEN
    SELECT grant_id INTO g FROM credit_ledger.grants
     WHERE customer_id = c AND open ORDER BY random() LIMIT 1;
    IF g IS NOT NULL THEN PERFORM credit_void(g); END IF;
  ELSIF kind = 8 THEN
    now_at := now_at + (floor(random() * 7 - 2) || ' days')::interval
                     + (floor(random() * 24) || ' hours')::interval;
    PERFORM set_config('credit_ledger.clock', now_at::text, false);
  ELSE
    PERFORM credit_expire();
  END IF;
  RETURN now_at;
EXCEPTION WHEN SQLSTATE 'LG001' OR SQLSTATE 'LG006' THEN
  RETURN now_at;  -- refused by the limit, or a void of a lapsed block: nothing written
END $$;
-- Every wallet's credit_balance is the definition's balance; returns how
-- many of the five took the shortcut (no block taking effect after now_at).
CREATE FUNCTION pg_temp.check_balances(step int, now_at timestamptz) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  wants numeric[];
  got numeric;
  shortcut int := 0;
BEGIN
  -- 1.2: a block that took effect or lapsed since a wallet's last write
  -- is in the tables only once a write (or the sweep) caught the wallet
  -- up, and a block taking effect repays debt. The definition is read
  -- after a sweep that is then rolled back, so credit_balance computes
  -- the catch-up itself.
  BEGIN
    PERFORM credit_expire();
    FOR i IN 1 .. 5 LOOP
      wants[i] := pg_temp.expected('r' || i);
    END LOOP;
    RAISE SQLSTATE 'ZZ001';
  EXCEPTION WHEN SQLSTATE 'ZZ001' THEN
    NULL;
  END;
  FOR i IN 1 .. 5 LOOP
    got := credit_balance('r' || i, 'usd');
    IF got IS DISTINCT FROM wants[i] THEN
      RAISE EXCEPTION 'step %: credit_balance(r%) = %, expected %', step, i, got, wants[i];
    END IF;
    IF EXISTS (SELECT 1 FROM credit_ledger.wallets
                WHERE customer_id = 'r' || i
                  AND coalesce(latest_effective_at <= now_at, true)) THEN
      shortcut := shortcut + 1;
    END IF;
  END LOOP;
  RETURN shortcut;
END $$;
DO $$
DECLARE
  now_at timestamptz := '2026-03-01 12:00+00';
  shortcut int := 0;
  taken int;
BEGIN
  PERFORM setseed(0.25);
  FOR step IN 1 .. 1500 LOOP
    now_at := pg_temp.random_step(step, now_at);
    taken := pg_temp.check_balances(step, now_at);
    shortcut := shortcut + taken;
  END LOOP;
  INSERT INTO tally VALUES ('shortcut', shortcut), ('every open block', 1500 * 5 - shortcut);
END $$;
-- Both paths were taken many times (every check passed, or the DO failed).
SELECT path, checks > 500 AS many FROM tally ORDER BY path;
SELECT count(*) AS grants, count(*) FILTER (WHERE effective_at > created_at) AS scheduled,
       count(*) FILTER (WHERE expired_at IS NOT NULL) AS swept,
       count(*) FILTER (WHERE voided_at IS NOT NULL) AS voided
  FROM credit_ledger.grants WHERE customer_id LIKE 'r_';
SELECT * FROM credit_verify();

-- 2. The clock moved back before a block's start (or, the same thing, a
-- transaction that began before another one's grant committed): the block
-- is not spendable, and the wallet takes the long path until now has passed
-- every start again.
SELECT credit_grant('back', 'usd', 40);   -- starts 2026-03-01 12:00
SET credit_ledger.clock = '2026-02-28 12:00+00';
SELECT credit_balance('back', 'usd');
SELECT substr(pg_temp.sqlstate_of($$SELECT credit_consume('back', 'usd', 1)$$), 1, 5) AS consume;
SELECT credit_grant('back', 'usd', 5) AS g2 \gset
SELECT payload ->> 'balance' AS reported FROM credit_ledger.events
 WHERE event_type = 'credits.granted' AND (payload ->> 'grant_id')::bigint = :g2;
SET credit_ledger.clock = '2026-03-01 12:00+00';
SELECT credit_balance('back', 'usd');

-- 3. A lapsed block the sweep has not reached is left out by the shortcut.
SELECT credit_grant('lapse', 'usd', 30, expires_at => '2026-03-02');
SELECT credit_grant('lapse', 'usd', 10);
SET credit_ledger.clock = '2026-03-05 00:00+00';
SELECT balance AS ledger_balance, latest_effective_at FROM credit_ledger.wallets WHERE customer_id = 'lapse';
SELECT credit_balance('lapse', 'usd');
SELECT credit_grant('lapse', 'usd', 1) AS g3 \gset
SELECT payload ->> 'balance' AS reported FROM credit_ledger.events
 WHERE event_type = 'credits.granted' AND (payload ->> 'grant_id')::bigint = :g3;

-- 4. credit_verify names a latest_effective_at that falls behind a block
-- (only a hand edit can do that).
UPDATE credit_ledger.wallets SET latest_effective_at = '2026-01-01' WHERE customer_id = 'back';
SELECT customer_id, problem FROM credit_verify();

DROP EXTENSION credit_ledger;
