-- Functions that return a row (operation_result) or rows (batch_result,
-- events, verify_result) are called in FROM. `SELECT (f(...)).*` expands to
-- one call of f per output column, and PostgreSQL evaluates each: a consume
-- charges four times. The README warns and shows the forms below; this topic
-- runs them and pins the hazard.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100);

-- The right forms: one call each.
SELECT * FROM credit_consume('c', 'usd', 1, feature => 'chat');
SELECT operation_id AS op FROM credit_consume('c', 'usd', 2) \gset
SELECT r.amount, r.balance FROM credit_adjust('c', 'usd', -1, 'fix') AS r;
SELECT amount, balance, replayed FROM credit_reverse(:op, 2);
SELECT ordinal, status, amount, balance
  FROM credit_consume_batch('[{"customer_id": "c", "credit_type": "usd", "amount": 1}]');
SELECT count(*) AS claimed FROM credit_events_claim(100, 'relay');
SELECT * FROM credit_verify();
-- One call per row of a table: LATERAL.
CREATE TEMP TABLE usage_rows (customer_id text, amount numeric, key text);
INSERT INTO usage_rows VALUES ('c', 1, 'u1'), ('c', 2, 'u2');
SELECT u.key, r.amount, r.balance
  FROM usage_rows u CROSS JOIN LATERAL credit_consume(u.customer_id, 'usd', u.amount, u.key) AS r
 ORDER BY u.key;
-- In PL/pgSQL: SELECT ... INTO, or assign the composite whole.
DO $$
DECLARE
  r credit_ledger.operation_result;
BEGIN
  SELECT * INTO r FROM credit_consume('c', 'usd', 1);
  RAISE NOTICE 'select into: amount %, balance %', r.amount, r.balance;
  r := credit_consume('c', 'usd', 1);
  RAISE NOTICE 'assignment: amount %, balance %', r.amount, r.balance;
END $$ LANGUAGE plpgsql;
SELECT credit_balance('c', 'usd');   -- 100 - 1 - 2 - 1 + 2 - 1 - 1 - 2 - 1 - 1 = 92
SELECT count(*) AS usage_operations FROM credit_ledger.operations WHERE operation_type = 'consume';

-- The hazard, pinned: (f()).* charges once per output column...
SELECT (credit_consume('c', 'usd', 1)).*;
SELECT credit_balance('c', 'usd') AS after_four_charges;
-- ...while identical set-returning calls in a select list are merged into
-- one (PostgreSQL 10 and later): the batch is applied once, twice in all
-- here. Use the FROM form anyway.
SELECT (credit_consume_batch('[{"customer_id": "c", "credit_type": "usd", "amount": 1}]')).ordinal;
SELECT (credit_consume_batch('[{"customer_id": "c", "credit_type": "usd", "amount": 1}]')).*;
SELECT credit_balance('c', 'usd') AS after_two_batches;
-- With an idempotency key the extra calls are replays: charged once, but the
-- row mixes the calls' results (replayed = true although nothing had been
-- charged before under this key).
SELECT (credit_consume('c', 'usd', 1, 'once')).*;
SELECT credit_balance('c', 'usd') AS after_keyed_call;
SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
