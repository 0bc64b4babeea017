-- credit_consume_batch applies each event with exactly credit_consume's
-- semantics. Proof by equivalence: the same 300 events are applied one by
-- one to one set of customers and as a single batch to an identical twin
-- set; the entries, balances and outcomes must not differ.
\i test/sql/setup.sql
SELECT credit_type_create('usd', 2);

-- Twin wallets: customer c<n> is consumed one by one, b<n> by the batch.
CREATE FUNCTION pg_temp.fund(prefix text) RETURNS void LANGUAGE sql AS $$
  SELECT credit_wallet_configure(prefix || '4', 'usd', overdraft_limit => 25,
                                 low_balance_thresholds => '{40, 10}');
  SELECT credit_grant(prefix || n, 'usd', 200 + 40 * n, cost_basis => 0.25, reason => 'paid')
    FROM generate_series(1, 5) n;
  SELECT credit_grant(prefix || n, 'usd', 15, promotional => true, expires_at => '2026-04-01', reason => 'promo')
    FROM generate_series(1, 5) n;
  SELECT credit_grant(prefix || n, 'usd', 20, priority => 10, reason => 'late priority')
    FROM generate_series(2, 5, 2) n;
$$;
SELECT pg_temp.fund('c'), pg_temp.fund('b');

-- 300 pseudo-random events: amounts from 0.01 to 9.99, some over-drafting,
-- some repeated idempotency keys (replays) and a few reused with other
-- parameters (LG002), one unknown customer.
CREATE TEMP TABLE ev AS
SELECT i,
       (1 + (i * 7) % 5)::text AS n,
       CASE WHEN i % 7 = 0 AND (1 + (i * 7) % 5) = 4 THEN 150  -- overdrafts c4/b4
            ELSE round(((i * 37) % 999 + 1) / 100.0, 2) END AS amount,
       CASE WHEN i % 10 = 0 THEN 'k' || (i / 20) END AS key,
       (ARRAY['chat', 'embed', 'search'])[1 + i % 3] AS feature
  FROM generate_series(1, 300) i;
UPDATE ev SET n = '9' WHERE i = 150;  -- no such customer

-- One by one, recording what credit_consume returned or raised.
CREATE TEMP TABLE single (i int, status text, amount numeric, balance numeric, sqlstate text);
DO $$
DECLARE e record; r credit_ledger.operation_result;
BEGIN
  FOR e IN SELECT * FROM ev ORDER BY i LOOP
    BEGIN
      r := credit_consume('c' || e.n, 'usd', e.amount, 'c' || coalesce(e.key, 'x' || e.i), e.feature);
      INSERT INTO single VALUES (e.i, CASE WHEN r.replayed THEN 'replayed' ELSE 'applied' END,
                                 r.amount, r.balance, NULL);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO single VALUES (e.i, CASE WHEN SQLSTATE = 'LG001' THEN 'insufficient' ELSE 'error' END,
                                 NULL, NULL, SQLSTATE);
    END;
  END LOOP;
END $$;

-- The same events in one batch call.
CREATE TEMP TABLE batch AS
SELECT * FROM credit_consume_batch(
  (SELECT jsonb_agg(jsonb_build_object(
            'customer_id', 'b' || n, 'credit_type', 'usd', 'amount', amount,
            'idempotency_key', 'c' || coalesce(key, 'x' || i), 'feature', feature)
          ORDER BY i) FROM ev));

SELECT status, count(*) FROM batch GROUP BY status ORDER BY status;

-- Outcomes, amounts and balances event by event: no difference.
SELECT s.i, s.status, b.status, s.balance, b.balance
  FROM single s JOIN batch b ON b.ordinal = s.i
 WHERE (s.status, s.amount, s.balance, s.sqlstate) IS DISTINCT FROM
       (b.status, b.amount, b.balance, b.sqlstate);

-- Entries: the same movements in the same order, both ways round.
SELECT count(*) AS batch_entries FROM credit_ledger.entries WHERE customer_id LIKE 'b%';
SELECT count(*) AS differences FROM (
  SELECT substr(customer_id, 2), seq, entry_type, amount, value, balance_after, grant_id IS NULL, promotional, feature
    FROM credit_ledger.entries WHERE customer_id LIKE 'c%'
  EXCEPT ALL
  SELECT substr(customer_id, 2), seq, entry_type, amount, value, balance_after, grant_id IS NULL, promotional, feature
    FROM credit_ledger.entries WHERE customer_id LIKE 'b%') d;
SELECT count(*) AS differences FROM (
  SELECT substr(customer_id, 2), seq, entry_type, amount, value, balance_after, grant_id IS NULL, promotional, feature
    FROM credit_ledger.entries WHERE customer_id LIKE 'b%'
  EXCEPT ALL
  SELECT substr(customer_id, 2), seq, entry_type, amount, value, balance_after, grant_id IS NULL, promotional, feature
    FROM credit_ledger.entries WHERE customer_id LIKE 'c%') d;

-- Wallets, blocks and events: the same final state.
SELECT substr(customer_id, 2) AS n, balance, debt, last_seq, low_balance_alerted
  FROM credit_ledger.wallets WHERE customer_id LIKE 'c%'
EXCEPT
SELECT substr(customer_id, 2), balance, debt, last_seq, low_balance_alerted
  FROM credit_ledger.wallets WHERE customer_id LIKE 'b%';
SELECT count(*) AS differences FROM (
  SELECT substr(customer_id, 2), reason, remaining, open FROM credit_ledger.grants WHERE customer_id LIKE 'c%'
  EXCEPT ALL
  SELECT substr(customer_id, 2), reason, remaining, open FROM credit_ledger.grants WHERE customer_id LIKE 'b%') d;
SELECT count(*) AS differences FROM (
  SELECT event_type, substr(customer_id, 2), payload - 'customer_id' - 'wallet_id' - 'operation_id' - 'grant_id'
    FROM credit_ledger.events WHERE customer_id LIKE 'c%' AND event_type <> 'credits.granted'
  EXCEPT ALL
  SELECT event_type, substr(customer_id, 2), payload - 'customer_id' - 'wallet_id' - 'operation_id' - 'grant_id'
    FROM credit_ledger.events WHERE customer_id LIKE 'b%' AND event_type <> 'credits.granted') d;

-- Replaying the whole batch applies nothing new.
SELECT status, count(*) FROM credit_consume_batch(
  (SELECT jsonb_agg(jsonb_build_object(
            'customer_id', 'b' || n, 'credit_type', 'usd', 'amount', amount,
            'idempotency_key', 'c' || coalesce(key, 'x' || i), 'feature', feature)
          ORDER BY i) FROM ev)) GROUP BY status ORDER BY status;

-- Bad input for the batch as a whole.
SELECT * FROM credit_consume_batch(NULL);
SELECT * FROM credit_consume_batch('{"customer_id": "c1"}');
SELECT * FROM credit_consume_batch('[]');
SELECT count(*) FROM credit_consume_batch(
  (SELECT jsonb_agg(jsonb_build_object('customer_id', 'c1', 'credit_type', 'usd', 'amount', 1))
     FROM generate_series(1, 10001)));

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
