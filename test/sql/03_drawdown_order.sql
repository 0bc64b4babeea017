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

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
