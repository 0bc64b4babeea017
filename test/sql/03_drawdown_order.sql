-- The drawdown order, end to end: priority ascending; soonest expiry first and
-- never-expiring last; promotional before paid; effective_at, then grant id.
-- Each scenario grants blocks in an order that differs from the drawdown
-- order and consumes one credit at a time, listing which block paid.
\i test/sql/include/setup.sql
SELECT credit_type_create('cr');

CREATE TEMP TABLE drawn (scenario text, step int, grant_id bigint, reason text);
CREATE FUNCTION pg_temp.drain(customer text, scenario text, n int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP
    PERFORM credit_consume(customer, 'cr', 1);
    INSERT INTO drawn
    SELECT scenario, i, e.grant_id, g.reason
      FROM credit_ledger.entries e JOIN credit_ledger.grants g USING (grant_id, customer_id)
     WHERE e.customer_id = customer AND e.entry_type = 'usage'
     ORDER BY e.seq DESC LIMIT 1;
  END LOOP;
END $$;

-- 1. Priority outranks everything, even an expiry tomorrow.
SELECT credit_grant('p', 'cr', 1, priority => 50, expires_at => '2026-03-02', reason => 'p50 expiring');
SELECT credit_grant('p', 'cr', 1, priority => 0, reason => 'p0 never expiring');
SELECT credit_grant('p', 'cr', 1, priority => 10, promotional => true, reason => 'p10 promo');
SELECT pg_temp.drain('p', 'priority', 3);

-- 2. Soonest expiry first; never-expiring last.
SELECT credit_grant('e', 'cr', 1, reason => 'never');
SELECT credit_grant('e', 'cr', 1, expires_at => '2026-12-31', reason => 'december');
SELECT credit_grant('e', 'cr', 1, expires_at => '2026-04-01', reason => 'april');
SELECT pg_temp.drain('e', 'expiry', 3);

-- 3. Promotional before paid when priority and expiry tie.
SELECT credit_grant('m', 'cr', 1, cost_basis => 1, expires_at => '2026-06-01', reason => 'paid');
SELECT credit_grant('m', 'cr', 1, promotional => true, expires_at => '2026-06-01', reason => 'promo');
SELECT pg_temp.drain('m', 'promotional', 2);

-- 4. FIFO: earlier effective_at first, then the lower grant id.
SET credit_ledger.clock = '2026-03-05 00:00+00';
SELECT credit_grant('f', 'cr', 1, effective_at => '2026-03-04', reason => 'effective 4th (granted first)');
SELECT credit_grant('f', 'cr', 1, effective_at => '2026-03-02', reason => 'effective 2nd');
SELECT credit_grant('f', 'cr', 1, effective_at => '2026-03-04', reason => 'effective 4th (granted second)');
SELECT credit_grant('f', 'cr', 1, effective_at => '2026-03-03', reason => 'effective 3rd');
SELECT pg_temp.drain('f', 'fifo', 4);

SELECT scenario, step, reason FROM drawn ORDER BY scenario, step;

-- One consume across many blocks writes one usage entry per block, in order,
-- all sharing the operation.
SELECT credit_grant('x', 'cr', 3, reason => 'c: never');
SELECT credit_grant('x', 'cr', 2, expires_at => '2026-05-01', reason => 'b: may');
SELECT credit_grant('x', 'cr', 1, priority => 1, reason => 'a: priority 1');
SELECT * FROM credit_consume('x', 'cr', 5);
SELECT e.seq, e.amount, e.balance_after, g.reason, g.remaining, e.operation_id
  FROM credit_ledger.entries e JOIN credit_ledger.grants g USING (grant_id, customer_id)
 WHERE e.customer_id = 'x' AND e.entry_type = 'usage' ORDER BY e.seq;

-- Many blocks: a consume reads a wallet's blocks in drawdown order only as
-- far as it draws (grants_drawdown_idx), so every consume below checks that
-- what it drew is exactly what the documented order says, across the
-- boundaries of what it read. step() takes the blocks spendable before the
-- call, drains x from them greedily in the wallet's order (priority; expiry,
-- never last; promotional first; effective_at; grant id - or, under
-- promotional_first, promotional right after priority) and counts the
-- blocks whose remaining differs afterwards, plus usage entries of the call
-- on any other block. A hold reserves in the same order (remaining is net
-- of reservations), so it is checked the same way.
CREATE FUNCTION pg_temp.step(customer text, x numeric, kind text DEFAULT 'consume')
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  promo_first boolean;
  bad bigint;
  op bigint;
BEGIN
  SELECT w.drawdown_order = 'promotional_first' INTO promo_first
    FROM credit_ledger.wallets w WHERE w.customer_id = customer;
  DROP TABLE IF EXISTS pg_temp.expect;
  CREATE TEMP TABLE expect AS
  SELECT grant_id,
         remaining - least(remaining, greatest(0, x - (sum(remaining) OVER o - remaining))) AS remaining
    FROM credit_ledger.grants g
   WHERE g.customer_id = customer AND g.open AND NOT g.pending AND g.remaining > 0
     AND g.effective_at <= credit_ledger.ledger_now()
     AND coalesce(g.expires_at, 'infinity') > credit_ledger.ledger_now()
  WINDOW o AS (ORDER BY priority, CASE WHEN promo_first THEN NOT promotional END,
                        coalesce(expires_at, 'infinity'), NOT promotional,
                        effective_at, grant_id);
  IF kind = 'hold' THEN
    PERFORM credit_hold(customer, 'cr', x);
  ELSE
    SELECT operation_id INTO op FROM credit_consume(customer, 'cr', x, allow_partial => kind = 'partial');
  END IF;
  SELECT count(*) INTO bad
    FROM expect e JOIN credit_ledger.grants g USING (grant_id)
   WHERE g.customer_id = customer AND g.remaining <> e.remaining;
  RETURN bad + (SELECT count(*) FROM credit_ledger.entries n
                 WHERE n.customer_id = customer AND n.operation_id = op
                   AND n.grant_id NOT IN (SELECT grant_id FROM expect));
END $$;

-- The same 60 blocks in two wallets, one per policy: three priorities,
-- three expiry dates or none, promotional or paid, four effective dates,
-- 1 to 4 credits each, in an order unrelated to the drawdown order; plus a
-- block that starts tomorrow at the first priority, one that lapses in two
-- hours, and one waiting for payment.
SET credit_ledger.clock = '2026-03-01 12:00:00+00';
SELECT credit_wallet_configure('deep-p', 'cr', drawdown_order => 'promotional_first') > 0 AS configured;
SELECT count(credit_grant(c, 'cr', i % 4 + 1,
                          priority => i * 7 % 3,
                          promotional => i * 3 % 5 < 2,
                          effective_at => '2026-03-01 12:00+00'::timestamptz - (i * 11 % 4) * interval '1 day',
                          expires_at => CASE WHEN i % 4 <> 0
                                             THEN '2026-03-01 12:00+00'::timestamptz + (i * 5 % 3 + 1) * interval '10 days' END,
                          reason => 'block ' || i)) AS blocks
  FROM unnest(ARRAY['deep-e', 'deep-p']) c, generate_series(1, 60) i;
SELECT count(credit_grant(c, 'cr', 5, priority => 0, effective_at => '2026-03-02 00:00+00', reason => 'tomorrow')),
       count(credit_grant(c, 'cr', 5, priority => 2, expires_at => '2026-03-01 14:00+00', reason => 'lapses')),
       count(credit_grant(c, 'cr', 5, priority => 0, pending => true, reason => 'pending'))
  FROM unnest(ARRAY['deep-e', 'deep-p']) c;

CREATE TEMP TABLE deep_steps (customer text, step int, mismatched bigint);
DO $$
DECLARE
  c text;
  k int;
BEGIN
  FOREACH c IN ARRAY ARRAY['deep-e', 'deep-p'] LOOP
    SET credit_ledger.clock = '2026-03-01 12:00:00+00';
    FOR k IN 1..12 LOOP  -- 1 to 9 credits at a time
      INSERT INTO deep_steps VALUES (c, k, pg_temp.step(c, k * 7 % 9 + 1));
    END LOOP;
    -- A hold reserves the next credits in order; consumes draw after them,
    -- and once it is released its credits are drawn first again.
    INSERT INTO deep_steps VALUES (c, 13, pg_temp.step(c, 11, 'hold'));
    FOR k IN 14..19 LOOP
      INSERT INTO deep_steps VALUES (c, k, pg_temp.step(c, k % 5 + 2));
    END LOOP;
    PERFORM credit_release(c, (SELECT max(hold_id) FROM credit_ledger.holds h WHERE h.customer_id = c));
    FOR k IN 20..23 LOOP
      INSERT INTO deep_steps VALUES (c, k, pg_temp.step(c, k % 4 + 3));
    END LOOP;
    -- A day later the scheduled block has entered (first in order) and the
    -- short one has lapsed: the catch-up runs inside the next consume.
    SET credit_ledger.clock = '2026-03-02 12:00:00+00';
    FOR k IN 24..29 LOOP
      INSERT INTO deep_steps VALUES (c, k, pg_temp.step(c, k % 6 + 1));
    END LOOP;
    -- More than what is left: allow_partial applies what there is.
    INSERT INTO deep_steps VALUES (c, 30, pg_temp.step(c, 1000, 'partial'));
  END LOOP;
END $$;
SET credit_ledger.clock = '2026-03-02 12:00:00+00';
SELECT customer, count(*) AS steps, sum(mismatched) AS mismatched
  FROM deep_steps GROUP BY customer ORDER BY customer;
-- Everything spendable was drawn; what is left is the lapsed and the
-- pending block.
SELECT customer_id, count(*) FILTER (WHERE usage_entries > 0) AS blocks_drawn,
       sum(remaining) AS remaining_left, credit_balance(customer_id, 'cr') AS balance
  FROM (SELECT g.customer_id, g.remaining,
               (SELECT count(*) FROM credit_ledger.entries e
                 WHERE e.customer_id = g.customer_id AND e.grant_id = g.grant_id
                   AND e.entry_type = 'usage') AS usage_entries
          FROM credit_ledger.grants g WHERE g.customer_id LIKE 'deep-%') b
 GROUP BY customer_id ORDER BY customer_id;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
