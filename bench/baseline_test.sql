-- bench/baseline_test.sql: proves that the PL/pgSQL baseline (bench/baseline.sql)
-- has credit_ledger's semantics, by running the same scenarios through both
-- and asserting that results, SQLSTATEs, entries, grants and wallets agree:
-- drawdown order (priority, expiry, promotional, effective_at, id), expired
-- and scheduled credit never spent, values at the cost basis, balance_after
-- and gapless seq, idempotent replay and LG002, the hard limit (LG001 with
-- nothing written), input errors, a soft limit with debt and its repayment,
-- and a baseline batch equal to the same events consumed one by one.
--
-- Run it as a superuser (it moves credit_ledger.clock) in a database with
-- the extension and the baseline installed:
--   psql -v ON_ERROR_STOP=1 -f bench/baseline_test.sql
-- It prints "baseline_test: ok (N checks)" or stops at the first mismatch.
-- Everything it creates is in schema bench_test and customers test-*; it
-- runs in one transaction that is rolled back.

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

-- The customer's ledger, wallet and grants agree in both implementations
-- (grants named by label, so ids may differ).
CREATE FUNCTION bench_test.same_ledger(c text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    diff bigint;
BEGIN
    WITH a AS (
        SELECT e.credit_type, e.seq, e.entry_type, e.amount::text AS amount, e.value::text AS value,
               e.balance_after::text AS balance_after, g.source_id AS label, e.promotional, e.feature
          FROM credit_ledger.entries e
          LEFT JOIN credit_ledger.grants g ON g.grant_id = e.grant_id AND g.customer_id = e.customer_id
         WHERE e.customer_id = c),
    b AS (
        SELECT e.credit_type, e.seq, e.entry_type, e.amount::text, e.value::text,
               e.balance_after::text, g.source_id, e.promotional, e.feature
          FROM baseline.entries e
          LEFT JOIN baseline.grants g ON g.grant_id = e.grant_id AND g.customer_id = e.customer_id
         WHERE e.customer_id = c)
    SELECT count(*) INTO diff FROM ((TABLE a EXCEPT ALL TABLE b) UNION ALL (TABLE b EXCEPT ALL TABLE a)) d;
    PERFORM bench_test.check(diff = 0, format('entries of %s differ in %s rows', c, diff));
    PERFORM bench_test.check(
        (SELECT count(*) = count(DISTINCT seq) AND max(seq) = count(*)
           FROM baseline.entries WHERE customer_id = c GROUP BY credit_type ORDER BY 1 LIMIT 1),
        format('baseline seq of %s is not gapless', c));

    WITH a AS (SELECT credit_type, source_id, remaining::text, open FROM credit_ledger.grants WHERE customer_id = c),
         b AS (SELECT credit_type, source_id, remaining::text, open FROM baseline.grants WHERE customer_id = c)
    SELECT count(*) INTO diff FROM ((TABLE a EXCEPT ALL TABLE b) UNION ALL (TABLE b EXCEPT ALL TABLE a)) d;
    PERFORM bench_test.check(diff = 0, format('grants of %s differ in %s rows', c, diff));

    WITH a AS (SELECT credit_type, balance::text, debt::text, last_seq FROM credit_ledger.wallets WHERE customer_id = c),
         b AS (SELECT credit_type, balance::text, debt::text, last_seq FROM baseline.wallets WHERE customer_id = c)
    SELECT count(*) INTO diff FROM ((TABLE a EXCEPT ALL TABLE b) UNION ALL (TABLE b EXCEPT ALL TABLE a)) d;
    PERFORM bench_test.check(diff = 0, format('wallets of %s differ in %s rows', c, diff));

    -- The baseline's own invariants: balance = sum of entries; each grant's
    -- remaining = the sum of its entries; balance_after a running sum; the
    -- hash chain ends at the wallet's last_hash.
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM baseline.wallets w
         WHERE w.customer_id = c
           AND w.balance <> (SELECT coalesce(sum(amount), 0) FROM baseline.entries e
                              WHERE e.wallet_id = w.wallet_id AND e.customer_id = c)),
        format('baseline balance of %s is not the sum of its entries', c));
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM baseline.grants g
         WHERE g.customer_id = c
           AND g.remaining <> (SELECT sum(amount) FROM baseline.entries e
                                WHERE e.grant_id = g.grant_id AND e.customer_id = c)),
        format('baseline grant remaining of %s is not the sum of its entries', c));
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM (SELECT balance_after, sum(amount) OVER (PARTITION BY wallet_id ORDER BY seq) AS running
                       FROM baseline.entries WHERE customer_id = c) x
         WHERE balance_after <> running),
        format('baseline balance_after of %s is not a running sum', c));
    PERFORM bench_test.check(NOT EXISTS (
        SELECT FROM baseline.wallets w
         WHERE w.customer_id = c
           AND w.last_hash IS DISTINCT FROM (SELECT hash FROM baseline.entries e
                                              WHERE e.wallet_id = w.wallet_id AND e.customer_id = c
                                              ORDER BY seq DESC LIMIT 1)),
        format('baseline hash chain head of %s is not the last entry', c));
    PERFORM bench_test.check(NOT EXISTS (SELECT FROM credit_verify(c)),
                             format('credit_verify(%s) reports problems', c));
END $$;

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

\set QUIET 0
SELECT format('baseline_test: ok (%s checks)', n) AS result FROM bench_test.checks;
ROLLBACK;
