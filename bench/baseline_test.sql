-- bench/baseline_test.sql: proves that the PL/pgSQL baseline (bench/baseline.sql)
-- has credit_ledger's semantics, by running the same scenarios through both
-- and asserting that results, SQLSTATEs, entries, grants, wallets, holds and
-- operations agree: drawdown order (priority, expiry, promotional,
-- effective_at, id), expired and scheduled credit never spent, values at the
-- cost basis, balance_after and gapless seq, idempotent replay and LG002,
-- the hard limit (LG001 with nothing written), input errors, a soft limit
-- with debt and its repayment, a baseline batch equal to the same events
-- consumed one by one; 1.2: the ledger keeping up with time (a scheduled
-- block's grant entry dated effective_at and repaying debt, lapses dated
-- expires_at, same-instant order, timed-out holds, next_due_at, the sweep,
-- each under a catch_up operation), holds (reserve, capture under, at and
-- over the hold, capture and release after the reserved block lapsed, the
-- overdraft part, LG004, LG006, replays) and priced usage (effective-dated
-- and per-customer prices, the three roundings, credits that round to zero,
-- LG007, replays, a batch).
--
-- Run it as a superuser (it moves credit_ledger.clock) in a database with
-- the extension and the baseline installed:
--   psql -v ON_ERROR_STOP=1 -f bench/baseline_test.sql
-- It prints "baseline_test: ok (N checks)" or stops at the first mismatch.
-- Everything it creates is in schema bench_test and customers test-*; it
-- runs in one transaction that is rolled back. bench/run.sh runs it before
-- every benchmark, and scripts/test.sh in the test suite.

\set ON_ERROR_STOP 1
\set QUIET 1
BEGIN;

CREATE SCHEMA bench_test;
CREATE TABLE bench_test.checks (n integer);
INSERT INTO bench_test.checks VALUES (0);

SET LOCAL credit_ledger.clock = '2030-01-01 00:00:00+00';
SET LOCAL baseline.clock = '2030-01-01 00:00:00+00';

-- Moves both ledgers' clocks.
CREATE FUNCTION bench_test.set_clock(t timestamptz) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('credit_ledger.clock', t::text, true),
           set_config('baseline.clock', t::text, true)
$$;

CREATE FUNCTION bench_test.check(ok boolean, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT coalesce(ok, false) THEN
        RAISE EXCEPTION 'baseline_test: mismatch: %', what;
    END IF;
    UPDATE bench_test.checks SET n = n + 1;
END $$;

CREATE FUNCTION bench_test.ensure_type(t text, s integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM credit_ledger.credit_types WHERE credit_type = t) THEN
        PERFORM credit_type_create(t, s);
    END IF;
    IF NOT EXISTS (SELECT FROM baseline.credit_types WHERE credit_type = t) THEN
        PERFORM baseline.credit_type_create(t, s);
    END IF;
END $$;

-- A grant through both; the label (source_id) names the block in comparisons.
CREATE FUNCTION bench_test.grant(c text, t text, amount numeric, label text,
    promotional boolean DEFAULT false, priority integer DEFAULT 50,
    cost_basis numeric DEFAULT NULL, effective_at timestamptz DEFAULT NULL,
    expires_at timestamptz DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM credit_grant(c, t, amount, promotional, priority, cost_basis, effective_at,
                         expires_at, source_id => label);
    PERFORM baseline.grant(c, t, amount, promotional, priority, cost_basis, effective_at,
                           expires_at, source_id => label);
END $$;

-- A consume through both: the same result or the same SQLSTATE, and on an
-- error nothing written in either ledger. Returns the result (or SQLSTATE).
CREATE FUNCTION bench_test.consume(c text, t text, amount numeric, key text DEFAULT NULL,
    feature text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    a text; b text;
    n_a bigint; n_b bigint;
BEGIN
    SELECT count(*) INTO n_a FROM credit_ledger.entries;
    SELECT count(*) INTO n_b FROM baseline.entries;
    BEGIN
        SELECT format('amount=%s balance=%s replayed=%s', r.amount, r.balance, r.replayed)
          INTO a FROM credit_consume(c, t, amount, key, feature) r;
    EXCEPTION WHEN OTHERS THEN
        a := 'SQLSTATE ' || SQLSTATE;
    END;
    BEGIN
        SELECT format('amount=%s balance=%s replayed=%s', r.amount, r.balance, r.replayed)
          INTO b FROM baseline.consume(c, t, amount, key, feature) r;
    EXCEPTION WHEN OTHERS THEN
        b := 'SQLSTATE ' || SQLSTATE;
    END;
    PERFORM bench_test.check(a = b, format('consume(%s, %s, %s, %s): credit_ledger %s, baseline %s',
                                           c, t, amount, key, a, b));
    IF a LIKE 'SQLSTATE %' OR a LIKE '%replayed=true' THEN
        PERFORM bench_test.check(
            (SELECT count(*) FROM credit_ledger.entries) = n_a
            AND (SELECT count(*) FROM baseline.entries) = n_b,
            format('consume(%s, %s, %s) wrote entries: %s', c, t, amount, a));
    END IF;
    RETURN a;
END $$;

-- The baseline's own invariants: balance = sum of entries; each entered
-- grant's entries sum to remaining + held; balance_after a running sum;
-- the hash chain ends at the wallet's last_hash; held = what active
-- holds reserve; an operation's entries are its first_seq..last_seq.
CREATE FUNCTION bench_test.baseline_invariants(c text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM baseline.wallets w
         WHERE w.customer_id = c
           AND w.balance <> (SELECT coalesce(sum(amount), 0) FROM baseline.entries e
                              WHERE e.wallet_id = w.wallet_id AND e.customer_id = c)),
        format('baseline balance of %s is not the sum of its entries', c));
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM baseline.grants g
         WHERE g.customer_id = c
           AND CASE WHEN g.entered THEN g.remaining + g.held ELSE 0 END
               <> (SELECT coalesce(sum(amount), 0) FROM baseline.entries e
                    WHERE e.grant_id = g.grant_id AND e.customer_id = c)),
        format('baseline grant remaining + held of %s is not the sum of its entries', c));
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM (SELECT balance_after, sum(amount) OVER (PARTITION BY wallet_id ORDER BY seq) AS running
                       FROM baseline.entries WHERE customer_id = c) x
         WHERE balance_after <> running),
        format('baseline balance_after of %s is not a running sum', c));
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM baseline.wallets w
         WHERE w.customer_id = c
           AND w.last_hash IS DISTINCT FROM coalesce(
                   (SELECT hash FROM baseline.entries e
                     WHERE e.wallet_id = w.wallet_id AND e.customer_id = c
                     ORDER BY seq DESC LIMIT 1), '\x0000000000000000000000000000000000000000000000000000000000000000')),
        format('baseline hash chain head of %s is not the last entry', c));
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM baseline.wallets w,
               LATERAL (SELECT coalesce(sum(h.amount), 0) AS held,
                               coalesce(sum((SELECT sum(x.a) FROM unnest(h.reserved_grant_ids, h.reserved_amounts)
                                               AS x (id, a) WHERE x.id IS NULL)), 0) AS held_overdraft
                          FROM baseline.holds h
                         WHERE h.wallet_id = w.wallet_id AND h.customer_id = c AND h.status = 'held') a
         WHERE w.customer_id = c AND (w.held <> a.held OR w.held_overdraft <> a.held_overdraft)),
        format('baseline held of %s is not what its active holds reserve', c));
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM baseline.entries e
          JOIN baseline.operations o ON o.operation_id = e.operation_id AND o.customer_id = e.customer_id
         WHERE e.customer_id = c AND e.seq NOT BETWEEN o.first_seq AND o.last_seq),
        format('baseline entries of %s lie outside their operation', c));
END $$;

-- The rows two queries return (`a` of credit_ledger, `b` of the baseline,
-- each with $1 for the customer) are the same multiset: one check, naming
-- the rows either side has that the other lacks.
CREATE FUNCTION bench_test.same_rows(what text, c text, a text, b text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    diff bigint;
    rows text;
BEGIN
    EXECUTE format($q$
        WITH a AS (%s), b AS (%s)
        SELECT count(*), string_agg(d.side || ' ' || d.r, E'\n')
          FROM ((SELECT 'credit_ledger:' AS side, x::text AS r FROM (TABLE a EXCEPT ALL TABLE b) x)
                UNION ALL (SELECT 'baseline:', x::text FROM (TABLE b EXCEPT ALL TABLE a) x)) d$q$, a, b)
      INTO diff, rows USING c;
    PERFORM bench_test.check(diff = 0, format(E'%s of %s differ in %s rows:\n%s', what, c, diff, rows));
END $$;

-- The customer's ledger, wallets, grants, holds and operations agree in both
-- implementations (grants and holds named by label - their source_id - and
-- prices by what they are, so ids may differ), and the baseline keeps its
-- own invariants.
CREATE FUNCTION bench_test.same_ledger(c text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bench_test.same_rows('entries', c, $a$
        SELECT e.credit_type, e.seq, e.entry_type, e.amount::text AS amount, e.value::text AS value,
               e.balance_after::text AS balance_after, g.source_id AS label, e.promotional, e.feature,
               e.source_id, e.reason, e.metadata, e.occurred_at, e.created_at, o.operation_type,
               e.quantity::text AS quantity, e.unit_price::text AS unit_price,
               p.feature AS price_feature, p.customer_id AS price_customer, p.effective_at AS price_at
          FROM credit_ledger.entries e
          JOIN credit_ledger.operations o ON o.operation_id = e.operation_id AND o.customer_id = e.customer_id
          LEFT JOIN credit_ledger.grants g ON g.grant_id = e.grant_id AND g.customer_id = e.customer_id
          LEFT JOIN credit_ledger.prices p ON p.price_id = e.price_id
         WHERE e.customer_id = $1 $a$, $b$
        SELECT e.credit_type, e.seq, e.entry_type, e.amount::text, e.value::text,
               e.balance_after::text, g.source_id, e.promotional, e.feature,
               e.source_id, e.reason, e.metadata, e.occurred_at, e.created_at, o.operation_type,
               e.quantity::text, e.unit_price::text, p.feature, p.customer_id, p.effective_at
          FROM baseline.entries e
          JOIN baseline.operations o ON o.operation_id = e.operation_id AND o.customer_id = e.customer_id
          LEFT JOIN baseline.grants g ON g.grant_id = e.grant_id AND g.customer_id = e.customer_id
          LEFT JOIN baseline.prices p ON p.price_id = e.price_id
         WHERE e.customer_id = $1 $b$);
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM (SELECT count(*) = count(DISTINCT seq) AND max(seq) = count(*) AS gapless
                       FROM baseline.entries WHERE customer_id = c GROUP BY credit_type) x
         WHERE NOT gapless),
        format('baseline seq of %s is not gapless', c));

    PERFORM bench_test.same_rows('grants', c, $a$
        SELECT credit_type, source_id, amount::text, remaining::text, open, held, entered,
               expired_at, expired_amount, effective_at, expires_at
          FROM credit_ledger.grants WHERE customer_id = $1 $a$, $b$
        SELECT credit_type, source_id, amount::text, remaining::text, open, held, entered,
               expired_at, expired_amount, effective_at, expires_at
          FROM baseline.grants WHERE customer_id = $1 $b$);

    PERFORM bench_test.same_rows('wallets', c, $a$
        SELECT credit_type, balance::text, debt::text, last_seq, held, held_overdraft, next_due_at
          FROM credit_ledger.wallets WHERE customer_id = $1 $a$, $b$
        SELECT credit_type, balance::text, debt::text, last_seq, held, held_overdraft, next_due_at
          FROM baseline.wallets WHERE customer_id = $1 $b$);

    PERFORM bench_test.same_rows('holds', c, $a$
        SELECT h.credit_type, h.source_id, h.feature, h.amount::text AS amount, h.captured,
               h.status, h.expires_at, h.closed_at, h.created_at,
               (SELECT array_agg(g.source_id ORDER BY r.n) FROM unnest(h.reserved_grant_ids)
                         WITH ORDINALITY r (id, n)
                         LEFT JOIN credit_ledger.grants g ON g.grant_id = r.id AND g.customer_id = $1) AS blocks,
               h.reserved_amounts::text AS reserved
          FROM credit_ledger.holds h WHERE h.customer_id = $1 $a$, $b$
        SELECT h.credit_type, h.source_id, h.feature, h.amount::text, h.captured,
               h.status, h.expires_at, h.closed_at, h.created_at,
               (SELECT array_agg(g.source_id ORDER BY r.n) FROM unnest(h.reserved_grant_ids)
                         WITH ORDINALITY r (id, n)
                         LEFT JOIN baseline.grants g ON g.grant_id = r.id AND g.customer_id = $1),
               h.reserved_amounts::text
          FROM baseline.holds h WHERE h.customer_id = $1 $b$);

    -- Since 1.2 (issue 17) credit_ledger keeps a key as the first 16 bytes of
    -- its SHA-256, not its text: the baseline's key text is compared that way.
    PERFORM bench_test.same_rows('operations', c, $a$
        SELECT credit_type, operation_type, key_hash, amount::text AS amount,
               balance::text AS balance, first_seq, last_seq, created_at
          FROM credit_ledger.operations WHERE customer_id = $1 $a$, $b$
        SELECT credit_type, operation_type,
               pg_catalog.substr(pg_catalog.sha256(pg_catalog.convert_to(idempotency_key, 'UTF8')), 1, 16),
               amount::text, balance::text, first_seq, last_seq, created_at
          FROM baseline.operations WHERE customer_id = $1 $b$);

    PERFORM bench_test.baseline_invariants(c);
    PERFORM bench_test.check(NOT EXISTS (SELECT FROM credit_verify(c)),
                             format('credit_verify(%s) reports problems', c));
END $$;


-- What a failing call or a replay must leave untouched, in both ledgers.
CREATE FUNCTION bench_test.written() RETURNS text LANGUAGE sql AS $$
    SELECT format('%s %s %s %s', (SELECT count(*) FROM credit_ledger.entries),
                  (SELECT count(*) FROM credit_ledger.operations),
                  (SELECT count(*) FROM credit_ledger.holds WHERE status = 'held'),
                  (SELECT count(*) FROM credit_ledger.prices))
        || ' | '
        || format('%s %s %s %s', (SELECT count(*) FROM baseline.entries),
                  (SELECT count(*) FROM baseline.operations),
                  (SELECT count(*) FROM baseline.holds WHERE status = 'held'),
                  (SELECT count(*) FROM baseline.prices))
$$;

-- Runs one call in each implementation (SQL returning one text column, or
-- an error): the same result or the same SQLSTATE, and on an error or a
-- replay nothing written in either ledger. Returns the result (or SQLSTATE).
CREATE FUNCTION bench_test.both(ledger_sql text, baseline_sql text, what text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    a text; b text;
    before text := bench_test.written();
BEGIN
    BEGIN
        EXECUTE ledger_sql INTO a;
    EXCEPTION WHEN OTHERS THEN
        a := 'SQLSTATE ' || SQLSTATE;
    END;
    BEGIN
        EXECUTE baseline_sql INTO b;
    EXCEPTION WHEN OTHERS THEN
        b := 'SQLSTATE ' || SQLSTATE;
    END;
    PERFORM bench_test.check(a IS NOT DISTINCT FROM b,
                             format('%s: credit_ledger %s, baseline %s', what, a, b));
    IF a LIKE 'SQLSTATE %' OR a LIKE '%replayed=true%' THEN
        PERFORM bench_test.check(bench_test.written() = before,
                                 format('%s wrote something: %s', what, a));
    END IF;
    RETURN a;
END $$;

-- A hold through both, named by its label (source_id).
CREATE FUNCTION bench_test.hold(c text, t text, amount numeric, label text,
    timeout interval DEFAULT '10 minutes', key text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
    SELECT bench_test.both(
        format($q$SELECT format('amount=%%s balance=%%s expires=%%s replayed=%%s', r.amount, r.balance,
                                r.expires_at, r.replayed)
                    FROM credit_hold(%L, %L, %L, %L, %L, 'llm', %L) r$q$,
               c, t, amount, timeout, key, label),
        format($q$SELECT format('amount=%%s balance=%%s expires=%%s replayed=%%s', r.amount, r.balance,
                                r.expires_at, r.replayed)
                    FROM baseline.hold(%L, %L, %L, %L, %L, 'llm', %L) r$q$,
               c, t, amount, timeout, key, label),
        format('hold(%s, %s, %s, %s)', c, t, amount, label))
$$;

-- The hold ids of a label in each implementation (999999 when none).
CREATE FUNCTION bench_test.hold_id(impl text, c text, label text) RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(CASE impl
        WHEN 'ledger' THEN (SELECT hold_id FROM credit_ledger.holds WHERE customer_id = c AND source_id = label)
        ELSE (SELECT hold_id FROM baseline.holds WHERE customer_id = c AND source_id = label) END, 999999)
$$;

-- A capture through both, of the hold labelled `label` of customer `owner`
-- (default c), by customer c.
CREATE FUNCTION bench_test.capture(c text, label text, amount numeric DEFAULT NULL,
    key text DEFAULT NULL, owner text DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
    SELECT bench_test.both(
        format($q$SELECT format('amount=%%s balance=%%s replayed=%%s', r.amount, r.balance, r.replayed)
                    FROM credit_capture(%L, %s, %L, %L) r$q$,
               c, bench_test.hold_id('ledger', coalesce(owner, c), label), amount, key),
        format($q$SELECT format('amount=%%s balance=%%s replayed=%%s', r.amount, r.balance, r.replayed)
                    FROM baseline.capture(%L, %s, %L, %L) r$q$,
               c, bench_test.hold_id('baseline', coalesce(owner, c), label), amount, key),
        format('capture(%s, %s, %s, %s)', c, label, amount, key))
$$;

CREATE FUNCTION bench_test.release(c text, label text, reason text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
    SELECT bench_test.both(
        format('SELECT credit_release(%L, %s, %L)::text', c, bench_test.hold_id('ledger', c, label), reason),
        format('SELECT baseline.release(%L, %s, %L)::text', c, bench_test.hold_id('baseline', c, label), reason),
        format('release(%s, %s)', c, label))
$$;

-- A price through both (the same SQLSTATE, or both set).
CREATE FUNCTION bench_test.price(feature text, t text, credits_per_unit numeric,
    customer_id text DEFAULT NULL, effective_at timestamptz DEFAULT NULL,
    rounding text DEFAULT 'up') RETURNS text LANGUAGE sql AS $$
    SELECT bench_test.both(
        format('SELECT (credit_price_set(%L, %L, %L, %L, %L, %L) > 0)::text', feature, t,
               credits_per_unit, customer_id, effective_at, rounding),
        format('SELECT (baseline.price_set(%L, %L, %L, %L, %L, %L) > 0)::text', feature, t,
               credits_per_unit, customer_id, effective_at, rounding),
        format('price_set(%s, %s, %s, %s)', feature, t, credits_per_unit, customer_id))
$$;

-- A usage report through both.
CREATE FUNCTION bench_test.usage(c text, feature text, quantity numeric, key text DEFAULT NULL,
    occurred_at timestamptz DEFAULT NULL, allow_partial boolean DEFAULT false) RETURNS text
LANGUAGE sql AS $$
    SELECT bench_test.both(
        format($q$SELECT format('amount=%%s balance=%%s replayed=%%s', r.amount, r.balance, r.replayed)
                    FROM credit_report_usage(%L, %L, %L, %L, %L, allow_partial => %L) r$q$,
               c, feature, quantity, key, occurred_at, allow_partial),
        format($q$SELECT format('amount=%%s balance=%%s replayed=%%s', r.amount, r.balance, r.replayed)
                    FROM baseline.report_usage(%L, %L, %L, %L, %L, allow_partial => %L) r$q$,
               c, feature, quantity, key, occurred_at, allow_partial),
        format('report_usage(%s, %s, %s, %s, %s)', c, feature, quantity, key, occurred_at))
$$;

SELECT bench_test.ensure_type('usd', 2), bench_test.ensure_type('tok', 0);

-- 1. Drawdown order. Each consume below must pick the same blocks in both.
--    now = 2030-01-01; a block expiring soon, promotional and paid blocks
--    with the same expiry, a low-priority-number block (drawn first), a
--    never-expiring block, a scheduled block and two FIFO twins.
SELECT bench_test.grant('test-order', 'usd', 100, 'never', cost_basis => 0.01);
SELECT bench_test.grant('test-order', 'usd', 100, 'paid-60d', cost_basis => 0.02,
                        expires_at => '2030-03-02 00:00+00');
SELECT bench_test.grant('test-order', 'usd', 100, 'promo-60d', promotional => true,
                        cost_basis => 0.02, expires_at => '2030-03-02 00:00+00');
SELECT bench_test.grant('test-order', 'usd', 100, 'paid-10d', cost_basis => 0.5,
                        expires_at => '2030-01-11 00:00+00');
SELECT bench_test.grant('test-order', 'usd', 30.55, 'prio-10', priority => 10, cost_basis => 1.25);
SELECT bench_test.grant('test-order', 'usd', 100, 'scheduled', cost_basis => 0.03,
                        effective_at => '2030-01-05 00:00+00');
SELECT bench_test.grant('test-order', 'usd', 10, 'fifo-late', priority => 60,
                        effective_at => '2029-12-20 00:00+00');
SELECT bench_test.grant('test-order', 'usd', 10, 'fifo-early', priority => 60,
                        effective_at => '2029-12-10 00:00+00');
SELECT bench_test.grant('test-order', 'usd', 100, 'lapses-unspent', priority => 70,
                        expires_at => '2030-01-06 00:00+00');
SELECT bench_test.consume('test-order', 'usd', 20, feature => 'a');        -- prio-10
SELECT bench_test.consume('test-order', 'usd', 50.5, feature => 'b');      -- prio-10, paid-10d
SELECT bench_test.consume('test-order', 'usd', 120.01);                    -- paid-10d, promo-60d
SELECT bench_test.same_ledger('test-order');
-- 2030-01-12: lapses-unspent lapsed with 100 left (not swept: it must never
-- be spent); the scheduled block started.
SELECT bench_test.set_clock('2030-01-12 00:00+00');
SELECT bench_test.consume('test-order', 'usd', 150);                       -- promo-60d, paid-60d
SELECT bench_test.consume('test-order', 'usd', 129.54);                    -- paid-60d, never, scheduled
SELECT bench_test.consume('test-order', 'usd', 80.51);                     -- LG001, nothing written
SELECT bench_test.consume('test-order', 'usd', 80.50);                     -- scheduled, fifo-early, fifo-late
SELECT bench_test.consume('test-order', 'usd', 0.01);                      -- LG001: only lapsed credit left
SELECT bench_test.same_ledger('test-order');

-- 2. Scale 0, many blocks in one consume, value at each block's cost basis.
SELECT bench_test.set_clock('2030-01-01 00:00+00');
SELECT bench_test.grant('test-many', 'tok', n * 7, 'b' || n, promotional => n % 3 = 0,
                        priority => n % 4, cost_basis => n / 1000.0,
                        expires_at => '2030-01-01 00:00+00'::timestamptz + (n % 5 + 1) * interval '1 day')
  FROM generate_series(1, 24) n;
SELECT bench_test.consume('test-many', 'tok', 1000, 'many-1');             -- touches most blocks
SELECT bench_test.consume('test-many', 'tok', 1000, 'many-1');             -- replay
SELECT bench_test.consume('test-many', 'tok', 1001, 'many-1');             -- LG002
SELECT bench_test.consume('test-many', 'tok', 1000, 'many-1', 'other');    -- LG002 (feature differs)
SELECT bench_test.consume('test-many', 'tok', 1, 'many-2');
SELECT bench_test.same_ledger('test-many');

-- 3. Bad input: the same SQLSTATE, nothing written.
SELECT bench_test.consume('test-order', 'usd', 1.234);                     -- 22023 (scale)
SELECT bench_test.consume('test-order', 'usd', 'NaN');                     -- 22023
SELECT bench_test.consume('test-order', 'usd', 0);                         -- 22023
SELECT bench_test.consume('test-order', 'usd', -5);                        -- 22023
SELECT bench_test.consume('test-order', 'usd', NULL);                      -- 22004
SELECT bench_test.consume('test-order', 'usd', 1e17);                      -- 22003
SELECT bench_test.consume('test-order', 'nope', 1);                        -- LG003
SELECT bench_test.consume('test-nobody', 'usd', 1);                        -- LG001 (no wallet)
SELECT bench_test.consume('test-order', 'usd', 1.50);                      -- LG001 (not 22023: trailing zero)

-- 4. Soft limit: usage runs into debt; the next grant repays it first.
SELECT credit_wallet_configure('test-debt', 'usd', 100),
       baseline.wallet_configure('test-debt', 'usd', 100);
SELECT bench_test.grant('test-debt', 'usd', 50, 'first', cost_basis => 0.1);
SELECT bench_test.consume('test-debt', 'usd', 80);                         -- 30 of debt
SELECT bench_test.consume('test-debt', 'usd', 71);                         -- LG001 (101 > 100)
SELECT bench_test.consume('test-debt', 'usd', 70);                         -- debt 100
SELECT bench_test.grant('test-debt', 'usd', 60, 'second', promotional => true);  -- repays 60
SELECT bench_test.grant('test-debt', 'usd', 10, 'later', effective_at => '2030-02-01 00:00+00');
SELECT bench_test.grant('test-debt', 'usd', 100, 'third', cost_basis => 0.2);     -- repays 40
SELECT bench_test.consume('test-debt', 'usd', 10);
SELECT bench_test.same_ledger('test-debt');
SELECT bench_test.consume('test-debt', 'usd', 60);                         -- debt 10
SELECT bench_test.set_clock('2030-02-02 00:00+00');
SELECT bench_test.consume('test-debt', 'usd', 5);                          -- 'later' repays the 10 of debt; 5 of new debt
SELECT bench_test.same_ledger('test-debt');

-- 5. The baseline's batch writes what the same events consumed one by one
--    write (credit_ledger 1.0 has no batch: its side is one call per event).
SELECT bench_test.set_clock('2030-01-01 00:00+00');
SELECT bench_test.grant('test-batch-' || w, 'usd', 1000, 'main', cost_basis => 0.001 * w,
                        expires_at => '2030-06-01 00:00+00')
  FROM generate_series(1, 3) w;
SELECT bench_test.grant('test-batch-' || w, 'usd', 5, 'promo', promotional => true)
  FROM generate_series(1, 3) w;
CREATE TEMP TABLE batch_events AS
SELECT i, 'test-batch-' || (i % 3 + 1) AS customer_id, 'usd' AS credit_type,
       (i % 4 + 1) * 1.25 AS amount, 'batch-' || i AS idempotency_key, 'f' || (i % 2) AS feature
  FROM generate_series(1, 40) i;
CREATE TEMP TABLE batch_ledger AS
SELECT b.i, r.amount::text, r.balance::text, r.replayed
  FROM batch_events b,
       LATERAL credit_consume(b.customer_id, b.credit_type, b.amount, b.idempotency_key, b.feature) r
 ORDER BY b.i;
CREATE TEMP TABLE batch_baseline AS
SELECT r.event_index AS i, r.amount::text, r.balance::text, r.replayed
  FROM baseline.consume_batch((SELECT jsonb_agg(to_jsonb(b) - 'i' ORDER BY b.i) FROM batch_events b)) r;
SELECT bench_test.check(
    (SELECT count(*) FROM ((TABLE batch_ledger EXCEPT ALL TABLE batch_baseline)
                           UNION ALL (TABLE batch_baseline EXCEPT ALL TABLE batch_ledger)) d) = 0
    AND (SELECT count(*) FROM batch_baseline) = 40,
    'batch results differ from one-by-one credit_consume');
SELECT bench_test.same_ledger('test-batch-' || w) FROM generate_series(1, 3) w;
-- Replaying the whole batch (JSON and arrays forms) writes nothing.
SELECT bench_test.check(bool_and(replayed) AND count(*) = 40, 'batch replay (jsonb)')
  FROM baseline.consume_batch((SELECT jsonb_agg(to_jsonb(b) - 'i' ORDER BY b.i) FROM batch_events b));
SELECT bench_test.check(bool_and(replayed) AND count(*) = 40, 'batch replay (arrays)')
  FROM baseline.consume_batch(
      (SELECT array_agg(customer_id ORDER BY i) FROM batch_events),
      (SELECT array_agg(credit_type ORDER BY i) FROM batch_events),
      (SELECT array_agg(amount ORDER BY i) FROM batch_events),
      (SELECT array_agg(idempotency_key ORDER BY i) FROM batch_events),
      (SELECT array_agg(feature ORDER BY i) FROM batch_events));
-- A batch with one uncoverable event fails whole.
DO $$
DECLARE n bigint := (SELECT count(*) FROM baseline.entries);
BEGIN
    BEGIN
        PERFORM baseline.consume_batch('[{"customer_id":"test-batch-1","credit_type":"usd","amount":1},
                                         {"customer_id":"test-batch-2","credit_type":"usd","amount":100000}]');
        RAISE EXCEPTION 'baseline_test: mismatch: an uncoverable batch succeeded';
    EXCEPTION WHEN SQLSTATE 'LG001' THEN
        NULL;
    END;
    PERFORM bench_test.check((SELECT count(*) FROM baseline.entries) = n, 'failed batch wrote entries');
END $$;


-- 6. 1.2, the ledger keeps up with time: a scheduled block is not in the
--    ledger (nor in a consume's balance) until it takes effect; the next
--    write enters it dated effective_at, lapses are dated expires_at, a
--    lapse comes before a block taking effect at the same instant, a block
--    entering repays debt; all under one catch_up operation.
SELECT bench_test.set_clock('2030-03-01 00:00+00');
SELECT bench_test.grant('test-time', 'usd', 100, 'now');
SELECT bench_test.grant('test-time', 'usd', 50, 'on-the-5th', cost_basis => 0.5,
                        effective_at => '2030-03-05 00:00+00');
SELECT bench_test.grant('test-time', 'usd', 30, 'lapses-8th', expires_at => '2030-03-08 00:00+00');
SELECT bench_test.grant('test-time', 'usd', 10, 'lapses-12th', priority => 70,
                        expires_at => '2030-03-12 00:00+00');
SELECT bench_test.grant('test-time', 'usd', 40, 'starts-12th', effective_at => '2030-03-12 00:00+00',
                        expires_at => '2030-04-01 00:00+00');
SELECT bench_test.consume('test-time', 'usd', 20);                         -- lapses-8th; 120.00 left
SELECT bench_test.same_ledger('test-time');
SELECT bench_test.set_clock('2030-03-06 00:00+00');
SELECT bench_test.consume('test-time', 'usd', 5);                          -- on-the-5th enters first
SELECT bench_test.set_clock('2030-03-13 00:00+00');
SELECT bench_test.consume('test-time', 'usd', 1);                          -- 2 lapses, 1 entering
SELECT bench_test.same_ledger('test-time');
SELECT credit_wallet_configure('test-time-debt', 'usd', 100),
       baseline.wallet_configure('test-time-debt', 'usd', 100);
SELECT bench_test.consume('test-time-debt', 'usd', 15);                    -- 15 of debt
SELECT bench_test.grant('test-time-debt', 'usd', 10, 'repays', cost_basis => 0.2,
                        effective_at => '2030-03-14 00:00+00');
SELECT bench_test.grant('test-time-debt', 'usd', 40, 'repays-too', effective_at => '2030-03-14 00:00+00');
SELECT bench_test.consume('test-time-debt', 'usd', 1);                     -- debt 16, nothing entered
SELECT bench_test.same_ledger('test-time-debt');
-- The sweep catches up the wallets nobody touches (those of the sections
-- above too): the same count, and then the same ledgers.
SELECT bench_test.set_clock('2030-03-20 00:00+00');
SELECT bench_test.check((SELECT credit_expire()) = (SELECT baseline.expire()), 'sweep at 2030-03-20');
SELECT bench_test.same_ledger('test-time-debt');
SELECT bench_test.grant('test-time-debt', 'usd', 1, 'after-the-sweep');

-- 7. 1.2 holds.
SELECT bench_test.set_clock('2030-04-01 00:00+00');
SELECT bench_test.grant('test-hold', 'usd', 100, 'A', cost_basis => 0.1, expires_at => '2030-04-01 01:00+00');
SELECT bench_test.grant('test-hold', 'usd', 50, 'B', cost_basis => 0.2);
SELECT bench_test.hold('test-hold', 'usd', 30, 'h1', key => 'h1');        -- from A
SELECT bench_test.hold('test-hold', 'usd', 30, 'h1', key => 'h1');        -- replay
SELECT bench_test.hold('test-hold', 'usd', 31, 'h1', key => 'h1');        -- LG002
SELECT bench_test.consume('test-hold', 'usd', 121);                        -- LG001: 30 held
SELECT bench_test.capture('test-hold', 'h1', 12.5, 'cap1');               -- under: 17.5 back
SELECT bench_test.capture('test-hold', 'h1', 12.5, 'cap1');               -- replay
SELECT bench_test.capture('test-hold', 'h1', 12.5, 'cap1-other');         -- LG006: captured
SELECT bench_test.release('test-hold', 'h1');                              -- LG006
SELECT bench_test.capture('test-other', 'h1', owner => 'test-hold');      -- LG004: not theirs
SELECT bench_test.capture('test-hold', 'no-such-hold');                   -- LG004
SELECT bench_test.hold('test-hold', 'usd', 90, 'h2');                      -- A, then B
SELECT bench_test.capture('test-hold', 'h2');                              -- the held amount
SELECT bench_test.hold('test-hold', 'usd', 10, 'h3');
SELECT bench_test.capture('test-hold', 'h3', 15);                          -- over the hold
SELECT bench_test.hold('test-hold', 'usd', 10, 'h4');
SELECT bench_test.capture('test-hold', 'h4', 1000);                        -- LG001, whole capture
SELECT bench_test.capture('test-hold', 'h4', 0);                           -- 22023
SELECT bench_test.capture('test-hold', 'h4', 1.001);                       -- 22023
SELECT bench_test.release('test-hold', 'h4', 'not needed');
SELECT bench_test.hold('test-hold', 'usd', 1, 'bad', timeout => '0 seconds');   -- 22023
SELECT bench_test.hold('test-hold', 'usd', 1, 'bad', timeout => '31 days 1 second');
SELECT bench_test.hold('test-hold', 'usd', 1, 'bad', timeout => NULL);          -- 22004
SELECT bench_test.hold('test-hold', 'usd', 0, 'bad');                           -- 22023
SELECT bench_test.hold('test-hold', 'usd', 1.001, 'bad');                       -- 22023
SELECT bench_test.hold('test-hold', 'usd', NULL, 'bad');                        -- 22004
SELECT bench_test.hold('test-hold', 'usd', 1000, 'bad');                        -- LG001
SELECT bench_test.hold('test-nobody', 'usd', 1, 'bad');                         -- LG001
SELECT bench_test.hold('test-hold', 'nope', 1, 'bad');                          -- LG003
SELECT bench_test.same_ledger('test-hold');
-- The guarantee: up to the held amount a capture succeeds after the
-- reserved block lapsed; what goes back to it leaves at once. h7 times out
-- first (its credit back on L, which is still live), then L lapses.
SELECT bench_test.grant('test-lapse', 'usd', 50, 'L', cost_basis => 0.3, expires_at => '2030-04-01 01:00+00');
SELECT bench_test.grant('test-lapse', 'usd', 5, 'M');
SELECT bench_test.hold('test-lapse', 'usd', 20, 'h5', timeout => '2 hours');
SELECT bench_test.hold('test-lapse', 'usd', 20, 'h6', timeout => '2 hours');
SELECT bench_test.hold('test-lapse', 'usd', 8, 'h7', timeout => '30 minutes');
SELECT bench_test.same_ledger('test-lapse');
SELECT bench_test.set_clock('2030-04-01 01:30+00');
SELECT bench_test.capture('test-lapse', 'h5', 5);
SELECT bench_test.release('test-lapse', 'h6', 'gave up');
SELECT bench_test.same_ledger('test-lapse');
-- A hold past its deadline cannot be captured (LG006; the catch-up the call
-- began with rolls back too); the next write marks it expired.
SELECT bench_test.hold('test-lapse', 'usd', 1, 'h8', timeout => '1 minute');
SELECT bench_test.set_clock('2030-04-01 01:31+00');
SELECT bench_test.capture('test-lapse', 'h8');                             -- LG006
SELECT bench_test.consume('test-lapse', 'usd', 1);
SELECT bench_test.release('test-lapse', 'h8');                             -- LG006
SELECT bench_test.same_ledger('test-lapse');
-- A hold timing out at the instant its block lapses: the hold first (its
-- credit leaves at once), then the lapse of the rest.
SELECT bench_test.grant('test-tie', 'usd', 10, 'T', expires_at => '2030-04-01 02:00+00');
SELECT bench_test.grant('test-tie', 'usd', 3, 'U');
SELECT bench_test.hold('test-tie', 'usd', 4, 'ht', timeout => '29 minutes');
SELECT bench_test.set_clock('2030-04-01 02:30+00');
SELECT bench_test.consume('test-tie', 'usd', 1);
SELECT bench_test.same_ledger('test-tie');
-- A soft limit: the part no block covers is reserved against the
-- allowance, so holds and debt together never exceed the limit; a capture
-- of it is debt; a timed-out hold's credit back on a live block repays debt.
SELECT credit_wallet_configure('test-soft', 'usd', 50),
       baseline.wallet_configure('test-soft', 'usd', 50);
SELECT bench_test.grant('test-soft', 'usd', 10, 'S');
SELECT bench_test.hold('test-soft', 'usd', 40, 'h9');                      -- 10 + 30 of allowance
SELECT bench_test.consume('test-soft', 'usd', 21);                         -- LG001 (30 + 21 > 50)
SELECT bench_test.consume('test-soft', 'usd', 20);                         -- debt 20
SELECT bench_test.capture('test-soft', 'h9');                              -- debt 50
SELECT bench_test.grant('test-soft', 'usd', 100, 'repays');                -- repays 50
SELECT bench_test.hold('test-soft', 'usd', 60, 'h10', timeout => '5 minutes');  -- 50 + 10
SELECT bench_test.consume('test-soft', 'usd', 30);                         -- debt 30
SELECT bench_test.same_ledger('test-soft');
SELECT bench_test.set_clock('2030-04-01 02:40+00');
SELECT bench_test.grant('test-soft', 'usd', 1, 'after');                   -- h10 timed out: repays
SELECT bench_test.same_ledger('test-soft');
-- A consume that empties a block's free credit leaves it open for what a
-- hold still reserves from it.
SELECT bench_test.grant('test-held-block', 'usd', 10, 'E');
SELECT bench_test.hold('test-held-block', 'usd', 6, 'he');
SELECT bench_test.consume('test-held-block', 'usd', 4);
SELECT bench_test.capture('test-held-block', 'he');
SELECT bench_test.same_ledger('test-held-block');

-- 8. 1.2 priced usage.
SELECT bench_test.set_clock('2030-05-01 12:00+00');
SELECT bench_test.price('image', 'usd', 2.5, effective_at => '2030-01-01 00:00+00');
SELECT bench_test.price('image', 'usd', 3);
SELECT bench_test.grant('test-price', 'usd', 100, 'P', cost_basis => 0.01);
SELECT bench_test.grant('test-price', 'tok', 1000, 'Q');
SELECT bench_test.usage('test-price', 'image', 2, occurred_at => '2030-02-15 00:00+00');   -- 5.00
SELECT bench_test.usage('test-price', 'image', 2);                                        -- 6.00
SELECT bench_test.usage('test-price', 'image', 1, occurred_at => '2030-05-01 12:00+00');  -- boundary
SELECT bench_test.usage('test-price', 'image', 1, occurred_at => '2029-12-31 00:00+00');  -- LG007
SELECT bench_test.usage('test-price', 'video', 1);                                        -- LG007
-- Set later, effective earlier; two at one instant: the later set wins.
SELECT bench_test.price('image', 'usd', 2, effective_at => '2030-02-01 00:00+00');
SELECT bench_test.price('image', 'usd', 1.75, effective_at => '2030-02-01 00:00+00');
SELECT bench_test.usage('test-price', 'image', 2, occurred_at => '2030-02-15 00:00+00');   -- 3.50
-- A customer's own price, in another credit type, from its effective_at.
SELECT bench_test.price('image', 'tok', 7, customer_id => 'test-price', effective_at => '2030-04-01 00:00+00');
SELECT bench_test.usage('test-price', 'image', 2);                                        -- 14 tok
SELECT bench_test.usage('test-price', 'image', 2, occurred_at => '2030-03-01 00:00+00');   -- general
-- The three roundings at scale 0 (half_even: ties to even), and at 2.
SELECT bench_test.price('r-up', 'tok', 0.5, rounding => 'up'),
       bench_test.price('r-down', 'tok', 0.5, rounding => 'down'),
       bench_test.price('r-even', 'tok', 0.5, rounding => 'half_even');
SELECT bench_test.usage('test-price', f, q)
  FROM unnest(ARRAY['r-up', 'r-down', 'r-even']) f, unnest(ARRAY[1, 3, 5, 7, 2.2, 2.6]) q;
SELECT bench_test.price('r-even2', 'usd', 0.001, rounding => 'half_even');
SELECT bench_test.usage('test-price', 'r-even2', q) FROM unnest(ARRAY[4, 5, 6, 15, 25, 26]) q;
-- Credits that round to zero, and a price of zero, are results; keys replay.
SELECT bench_test.price('free', 'usd', 0);
SELECT bench_test.usage('test-price', 'free', 10, 'z1');
SELECT bench_test.usage('test-price', 'free', 10, 'z1');                   -- replay
SELECT bench_test.usage('test-price', 'r-down', 1, 'z2');                  -- 0 tok
SELECT bench_test.usage('test-price', 'image', 2, 'k1');
SELECT bench_test.usage('test-price', 'image', 2.000, 'k1');               -- replay
SELECT bench_test.usage('test-price', 'image', 3, 'k1');                   -- LG002
SELECT bench_test.consume('test-price', 'tok', 14, 'k1', 'image');         -- LG002: one key space
SELECT bench_test.usage('test-price', 'image', 400, allow_partial => true);     -- what is left
SELECT bench_test.usage('test-price', 'image', 1, allow_partial => true);       -- 0
-- Bad input.
SELECT bench_test.usage('test-price', 'image', q)
  FROM unnest(ARRAY['0', '-1', 'NaN', 'Infinity', '1.0000000000000000001',
                    '12345678901234567890']::numeric[]) q;
SELECT bench_test.usage('test-price', 'image', NULL);                      -- 22004
SELECT bench_test.usage('test-price', NULL, 1);                            -- 22004
SELECT bench_test.usage('test-price', 'image', 1, occurred_at => '2030-05-03 00:00+00');  -- 22023
SELECT bench_test.usage('test-nobody', 'free', 1);                         -- LG001
SELECT bench_test.price('huge', 'usd', 999999999999999999);
SELECT bench_test.usage('test-price', 'huge', 1000);                       -- 22003
SELECT bench_test.price('x', 'gold', 1), bench_test.price('x', 'usd', 1, rounding => 'nearest'),
       bench_test.price('x', 'usd', -1), bench_test.price('x', 'usd', 'NaN'),
       bench_test.price('x', 'usd', 0.0000000000000000001),
       bench_test.price('x', 'usd', 1234567890123456789), bench_test.price(NULL, 'usd', 1),
       bench_test.price('x', NULL, 1), bench_test.price('x', 'usd', NULL),
       bench_test.price('x', 'usd', 1, effective_at => 'infinity');
SELECT bench_test.same_ledger('test-price');
-- Both price lists are the same rows.
SELECT bench_test.check(
    (SELECT count(*) FROM ((SELECT feature, credit_type, customer_id, credits_per_unit::text, rounding,
                                   effective_at, created_at FROM credit_ledger.prices
                            EXCEPT ALL
                            SELECT feature, credit_type, customer_id, credits_per_unit::text, rounding,
                                   effective_at, created_at FROM baseline.prices)
                           UNION ALL
                           (SELECT feature, credit_type, customer_id, credits_per_unit::text, rounding,
                                   effective_at, created_at FROM baseline.prices
                            EXCEPT ALL
                            SELECT feature, credit_type, customer_id, credits_per_unit::text, rounding,
                                   effective_at, created_at FROM credit_ledger.prices)) d) = 0,
    'prices differ');
-- The baseline's usage batch writes what the same reports one by one write.
SELECT bench_test.grant('test-ubatch-' || w, t, 1000, 'main', cost_basis => 0.001 * w)
  FROM generate_series(1, 3) w, unnest(ARRAY['usd', 'tok']) t;
CREATE TEMP TABLE usage_events AS
SELECT i, 'test-ubatch-' || (i % 3 + 1) AS customer_id,
       CASE WHEN i % 5 = 0 THEN 'r-up' ELSE 'image' END AS feature,
       (i % 4 + 1) * 0.5 AS quantity, 'ub-' || i AS idempotency_key
  FROM generate_series(1, 30) i;
CREATE TEMP TABLE usage_ledger AS
SELECT u.i, r.amount::text, r.balance::text, r.replayed
  FROM usage_events u,
       LATERAL credit_report_usage(u.customer_id, u.feature, u.quantity, u.idempotency_key) r
 ORDER BY u.i;
CREATE TEMP TABLE usage_baseline AS
SELECT r.event_index AS i, r.amount::text, r.balance::text, r.replayed
  FROM baseline.report_usage_batch((SELECT jsonb_agg(to_jsonb(u) - 'i' ORDER BY u.i) FROM usage_events u)) r;
SELECT bench_test.check(
    (SELECT count(*) FROM ((TABLE usage_ledger EXCEPT ALL TABLE usage_baseline)
                           UNION ALL (TABLE usage_baseline EXCEPT ALL TABLE usage_ledger)) d) = 0
    AND (SELECT count(*) FROM usage_baseline) = 30,
    'usage batch results differ from one-by-one credit_report_usage');
SELECT bench_test.same_ledger('test-ubatch-' || w) FROM generate_series(1, 3) w;
SELECT bench_test.check(bool_and(replayed) AND count(*) = 30, 'usage batch replay')
  FROM baseline.report_usage_batch((SELECT jsonb_agg(to_jsonb(u) - 'i' ORDER BY u.i) FROM usage_events u));

-- 9. Two months on, the sweep again, and every customer's ledger agrees.
SELECT bench_test.set_clock('2030-06-01 00:00+00');
SELECT bench_test.check((SELECT credit_expire()) = (SELECT baseline.expire()), 'sweep at 2030-06-01');
SELECT bench_test.check(NOT EXISTS (SELECT FROM baseline.wallets WHERE next_due_at <= '2030-06-01 00:00+00'),
                        'the sweep left a due wallet');
SELECT bench_test.same_ledger(c)
  FROM (SELECT DISTINCT customer_id FROM credit_ledger.wallets WHERE customer_id LIKE 'test-%'
        UNION SELECT DISTINCT customer_id FROM baseline.wallets WHERE customer_id LIKE 'test-%') x (c);

\set QUIET 0
SELECT format('baseline_test: ok (%s checks)', n) AS result FROM bench_test.checks;
ROLLBACK;
