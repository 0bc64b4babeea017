-- credit_consume_batch applies each event with exactly credit_consume's
-- semantics. Proof by equivalence: the same 300 events are applied one by
-- one to one set of customers and as a single batch to an identical twin
-- set; the entries, balances and outcomes must not differ.
\i test/sql/include/setup.sql
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

-- Applies events with one credit_consume call each, in array order,
-- recording what each returned or raised.
CREATE FUNCTION pg_temp.one_by_one(events jsonb)
RETURNS TABLE (i bigint, status text, amount numeric, balance numeric, code text)
LANGUAGE plpgsql AS $$
DECLARE e record; r credit_ledger.operation_result;
BEGIN
  FOR e IN SELECT * FROM jsonb_array_elements(events) WITH ORDINALITY AS t(ev, n) LOOP
    i := e.n;
    BEGIN
      SELECT * INTO r FROM credit_consume(e.ev->>'customer_id', e.ev->>'credit_type',
                                          (e.ev->>'amount')::numeric, e.ev->>'idempotency_key',
                                          e.ev->>'feature');
      status := CASE WHEN r.replayed THEN 'replayed' ELSE 'applied' END;
      amount := r.amount; balance := r.balance; code := NULL;
    EXCEPTION WHEN OTHERS THEN
      status := CASE WHEN SQLSTATE = 'LG001' THEN 'insufficient' ELSE 'error' END;
      amount := NULL; balance := NULL; code := SQLSTATE;
    END;
    RETURN NEXT;
  END LOOP;
END $$;

-- The events for customers <prefix><n>.
CREATE FUNCTION pg_temp.ev_json(prefix text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_agg(jsonb_build_object(
           'customer_id', prefix || n, 'credit_type', 'usd', 'amount', amount,
           'idempotency_key', 'c' || coalesce(key, 'x' || i), 'feature', feature)
         ORDER BY i) FROM ev
$$;

-- One by one.
CREATE TEMP TABLE single AS
SELECT i, status, amount, balance, code AS sqlstate FROM pg_temp.one_by_one(pg_temp.ev_json('c'));

-- The same events in one batch call.
CREATE TEMP TABLE batch AS SELECT * FROM credit_consume_batch(pg_temp.ev_json('b'));

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
SELECT status, count(*) FROM credit_consume_batch(pg_temp.ev_json('b'))
 GROUP BY status ORDER BY status;

-- Idempotency keys are decided in array order, whatever order the wallets
-- are locked in (tok sorts before usd, eur has no wallet): each event's
-- outcome is what single credit_consume calls in array order give. Keys are
-- scoped per customer across credit types; a call that failed did not use
-- its key. Twins again: s is consumed one by one, t by one batch.
SELECT credit_type_create('tok'), credit_type_create('eur', 2);
SELECT credit_grant(c, 'usd', 20), credit_grant(c, 'tok', 20)
  FROM unnest(ARRAY['s', 't']) c;
-- A key stored before the batch, on usd.
SELECT amount FROM credit_consume('s', 'usd', 1, 'k0');
SELECT amount FROM credit_consume('t', 'usd', 1, 'k0');
CREATE FUNCTION pg_temp.key_events(customer text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_agg(jsonb_set(e, '{customer_id}', to_jsonb(customer)) ORDER BY n)
    FROM jsonb_array_elements('[
      {"customer_id": "", "credit_type": "usd", "amount": 5,    "idempotency_key": "k9"},
      {"customer_id": "", "credit_type": "tok", "amount": 5,    "idempotency_key": "k9"},
      {"customer_id": "", "credit_type": "usd", "amount": 1000, "idempotency_key": "k8"},
      {"customer_id": "", "credit_type": "tok", "amount": 3,    "idempotency_key": "k8"},
      {"customer_id": "", "credit_type": "eur", "amount": 1,    "idempotency_key": "k9"},
      {"customer_id": "", "credit_type": "eur", "amount": 1,    "idempotency_key": "k6"},
      {"customer_id": "", "credit_type": "usd", "amount": 2,    "idempotency_key": "k6"},
      {"customer_id": "", "credit_type": "tok", "amount": 1,    "idempotency_key": "k0"},
      {"customer_id": "", "credit_type": "usd", "amount": 1,    "idempotency_key": "k0"},
      {"customer_id": "", "credit_type": "tok", "amount": 1,    "idempotency_key": "k5"},
      {"customer_id": "", "credit_type": "tok", "amount": 2,    "idempotency_key": "k5"},
      {"customer_id": "", "credit_type": "usd", "amount": 5,    "idempotency_key": "k9"},
      {"customer_id": "", "credit_type": "tok", "amount": 3,    "idempotency_key": "k8"},
      {"customer_id": "", "credit_type": "tok", "amount": 1,    "idempotency_key": "k7"},
      {"customer_id": "", "credit_type": "usd", "amount": 1,    "idempotency_key": "k7"}
    ]') WITH ORDINALITY AS t(e, n)
$$;
CREATE TEMP TABLE key_single AS
SELECT i AS ordinal, status, amount, balance, code AS sqlstate
  FROM pg_temp.one_by_one(pg_temp.key_events('s'));
CREATE TEMP TABLE key_batch AS SELECT * FROM credit_consume_batch(pg_temp.key_events('t'));
SELECT ordinal, status, amount, balance, sqlstate FROM key_batch ORDER BY ordinal;
-- No difference from the single calls.
SELECT s.ordinal, s.status, b.status, s.sqlstate, b.sqlstate
  FROM key_single s JOIN key_batch b USING (ordinal)
 WHERE (s.status, s.amount, s.balance, s.sqlstate) IS DISTINCT FROM
       (b.status, b.amount, b.balance, b.sqlstate);
SELECT customer_id, credit_type, balance FROM credit_ledger.wallets
 WHERE customer_id IN ('s', 't') ORDER BY credit_type, customer_id;

-- What an event may hold. Each rule refuses that event only (status error
-- with its SQLSTATE); the others apply. The customer u has 100.00 usd.
SELECT credit_grant('u', 'usd', 100);
SELECT ordinal, status, amount, sqlstate, message
  FROM credit_consume_batch('[
  {"customer_id": "u", "credit_type": "usd", "amount": "1", "idempotencyKey": "r1"},
  {"customer_id": "u", "credit_type": "usd", "amount": "1", "idempotency_key": "r2", "Feature": null},
  {"customer_id": 42, "credit_type": "usd", "amount": "1"},
  {"customer_id": "u", "credit_type": true, "amount": "1"},
  {"customer_id": "u", "credit_type": "usd", "amount": "1", "idempotency_key": 7},
  {"customer_id": "u", "credit_type": "usd", "amount": "1", "feature": {"name": "chat"}},
  {"customer_id": "u", "credit_type": "usd", "amount": "1", "source_id": ["a"]},
  {"customer_id": "u", "credit_type": "usd", "amount": true},
  {"customer_id": "u", "credit_type": "usd", "amount": {"value": 1}},
  {"customer_id": "u", "credit_type": "usd"},
  {"customer_id": "u", "credit_type": "usd", "amount": null},
  {"credit_type": "usd", "amount": 1},
  5,
  [{"customer_id": "u", "credit_type": "usd", "amount": 1}],
  null,
  {"customer_id": "u", "credit_type": "usd", "amount": 1, "metadata": "x"},
  {"customer_id": "u", "credit_type": "usd", "amount": 1, "metadata": [1]},
  {"customer_id": "u", "credit_type": "usd", "amount": 1, "metadata": null, "feature": null, "idempotency_key": null, "source_id": null, "occurred_at": null},
  {"customer_id": "u", "credit_type": "usd", "amount": 1, "metadata": {"batch": 1}, "feature": "meta"}
]') ORDER BY ordinal;
SELECT feature, metadata FROM credit_ledger.entries WHERE customer_id = 'u' AND entry_type = 'usage' ORDER BY seq;

-- A misspelt key is refused, so retrying the batch cannot charge twice.
SELECT ordinal, status, sqlstate FROM credit_consume_batch(
  '[{"customer_id": "u", "credit_type": "usd", "amount": "1", "idempotencyKey": "r1"}]');
SELECT balance FROM credit_ledger.wallets WHERE customer_id = 'u';

-- Amounts: a JSON number is read exactly from its text, never through a
-- binary float; a string must be a plain decimal. The clock is 2026-03-01
-- 12:00 UTC, the customer v has 1.00 usd and 100 tok.
SELECT credit_grant('v', 'usd', 1), credit_grant('v', 'tok', 100);
SELECT ordinal, status, amount, sqlstate, message
  FROM credit_consume_batch('[
  {"customer_id": "v", "credit_type": "usd", "amount": 0.1},
  {"customer_id": "v", "credit_type": "usd", "amount": 1e-2},
  {"customer_id": "v", "credit_type": "usd", "amount": 0.30000000000000004},
  {"customer_id": "v", "credit_type": "usd", "amount": 1.005},
  {"customer_id": "v", "credit_type": "usd", "amount": 1e400},
  {"customer_id": "v", "credit_type": "tok", "amount": 100000000000000001},
  {"customer_id": "v", "credit_type": "tok", "amount": 12345678901234567890},
  {"customer_id": "v", "credit_type": "tok", "amount": 2E1},
  {"customer_id": "v", "credit_type": "tok", "amount": "1e1"},
  {"customer_id": "v", "credit_type": "tok", "amount": " 1"},
  {"customer_id": "v", "credit_type": "tok", "amount": -1},
  {"customer_id": "v", "credit_type": "tok", "amount": "0.0"}
]') ORDER BY ordinal;

-- occurred_at: an RFC 3339 timestamp with an offset (or Z), at most one day
-- after the ledger's clock; the past is not bounded.
SELECT ordinal, status, sqlstate, message
  FROM credit_consume_batch('[
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "feature": "o1", "occurred_at": "2026-03-01T13:00:00+01:00"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "feature": "o2", "occurred_at": "2026-03-02T11:59:59.5Z"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "feature": "o3", "occurred_at": "2020-01-01 00:00:00-05"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "occurred_at": "today"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "occurred_at": "now"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "occurred_at": "2026-03-01"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "occurred_at": "2026-03-01 12:00:00"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "occurred_at": "2026-03-01T12:00:00 Europe/Paris"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "occurred_at": "2026-03-02T12:00:00.000001Z"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "occurred_at": "9999-12-31T23:59:59Z"},
  {"customer_id": "v", "credit_type": "tok", "amount": 1, "occurred_at": 1772366400}
]') ORDER BY ordinal;
SELECT feature, occurred_at FROM credit_ledger.entries
 WHERE customer_id = 'v' AND feature LIKE 'o%' ORDER BY seq;
-- A message quoting long non-ASCII input is cut at a character boundary: it
-- stays valid UTF-8 (it was cut inside a '€', and converting it failed).
SELECT ordinal, status, sqlstate, convert_to(message, 'UTF8') IS NOT NULL AS valid, message
  FROM credit_consume_batch(jsonb_build_array(jsonb_build_object(
    'customer_id', 'v', 'credit_type', 'tok', 'amount', 1, 'occurred_at', repeat('€', 70))));
-- credit_consume's occurred_at follows the same bound.
SELECT amount FROM credit_consume('v', 'tok', 1, occurred_at => '2026-03-02 12:00+00');
SELECT amount FROM credit_consume('v', 'tok', 1, occurred_at => '2026-03-02 12:00:00.000001+00');
SELECT amount FROM credit_consume('v', 'tok', 1, occurred_at => '1999-01-01 00:00+00');

-- Bad input for the batch as a whole.
SELECT * FROM credit_consume_batch(NULL);
SELECT * FROM credit_consume_batch('{"customer_id": "c1"}');
SELECT * FROM credit_consume_batch('[]');
SELECT * FROM credit_consume_batch('"[]"');
SELECT count(*) FROM credit_consume_batch(
  (SELECT jsonb_agg(jsonb_build_object('customer_id', 'c1', 'credit_type', 'usd', 'amount', 1))
     FROM generate_series(1, 10001)));

-- An error after an event's first write fails the whole call: an event is
-- decided before anything is written, and only a rejection found while
-- deciding is the event's own outcome. Here a superuser has set a wallet's
-- cached balance to the lowest the ledger holds, so writing the usage entry
-- (its balance_after) is out of range after the operation row is written.
-- Before, the batch reported that event as an error and went on, leaving an
-- operation without entries.
SELECT credit_grant(c, 'usd', 10) FROM unnest(ARRAY['w_ok', 'w_broken']) AS c;
UPDATE credit_ledger.wallets SET balance = -9999999999999999.99 WHERE customer_id = 'w_broken';
SELECT count(*) AS operations_before FROM credit_ledger.operations WHERE customer_id IN ('w_ok', 'w_broken');
SELECT * FROM credit_consume_batch('[
  {"customer_id": "w_ok", "credit_type": "usd", "amount": 1},
  {"customer_id": "w_broken", "credit_type": "usd", "amount": 1}
]');
SELECT count(*) AS operations_after FROM credit_ledger.operations WHERE customer_id IN ('w_ok', 'w_broken');
UPDATE credit_ledger.wallets SET balance = 10 WHERE customer_id = 'w_broken';

-- A batch event that writes one entry is stored as that entry alone (with
-- its key's digests, no operation row), as credit_consume stores it; one
-- that draws from two blocks keeps its operation row. Both replay by key,
-- alone and in a later batch, and a key reused with other parameters is
-- LG002 whichever way it was stored.
SELECT credit_grant('st', 'usd', 5) > 0 AS granted, credit_grant('st', 'usd', 5) > 0 AS granted;
SELECT ordinal, status, amount, balance FROM credit_consume_batch('[
  {"customer_id": "st", "credit_type": "usd", "amount": 1, "idempotency_key": "st-one"},
  {"customer_id": "st", "credit_type": "usd", "amount": 6, "idempotency_key": "st-two"}
]');
SELECT count(*) FILTER (WHERE standalone) AS standalone_entries, count(*) AS usage_entries
  FROM credit_ledger.entries WHERE customer_id = 'st' AND entry_type = 'usage';
SELECT count(*) AS consume_rows FROM credit_ledger.operation_rows
 WHERE customer_id = 'st' AND operation_type = 'consume';
SELECT amount, balance, replayed FROM credit_consume('st', 'usd', 1, 'st-one');
SELECT ordinal, status, amount, balance, sqlstate FROM credit_consume_batch('[
  {"customer_id": "st", "credit_type": "usd", "amount": 6, "idempotency_key": "st-two"},
  {"customer_id": "st", "credit_type": "usd", "amount": 1, "idempotency_key": "st-one"},
  {"customer_id": "st", "credit_type": "usd", "amount": 2, "idempotency_key": "st-one"},
  {"customer_id": "st", "credit_type": "usd", "amount": 2, "idempotency_key": "st-two"}
]');

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
