-- Prices and usage in product units (1.2): credit_price_set adds
-- effective-dated prices (general or per customer, never changed in place);
-- credit_report_usage prices a quantity with the price in force at
-- occurred_at and consumes the credits as credit_consume does, recording
-- quantity, unit_price and price_id on every usage entry.
\i test/sql/include/setup.sql
\i test/sql/include/sqlstate_of.sql
SELECT credit_type_create('usd', 2);
SELECT credit_type_create('tok', 0);

-- Effective-dated: 'image' costs 2.50 usd from January, 3.00 from now on
-- (the clock is 2026-03-01 12:00 UTC); usage before January has no price.
SELECT credit_price_set('image', 'usd', 2.5, effective_at => '2026-01-01') AS p_jan \gset
SELECT credit_price_set('image', 'usd', 3) AS p_now \gset
SELECT credit_grant('a', 'usd', 100);
SELECT amount, balance, replayed FROM credit_report_usage('a', 'image', 2, occurred_at => '2026-02-15');
SELECT amount, balance, replayed FROM credit_report_usage('a', 'image', 2);
-- At the boundary instant the new price is in force.
SELECT amount FROM credit_report_usage('a', 'image', 1, occurred_at => '2026-03-01 12:00:00+00');
SELECT amount FROM credit_report_usage('a', 'image', 1, occurred_at => '2026-03-01 11:59:59.999999+00');
-- Before the first price, and for a feature nobody priced: LG007.
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'image', 1, occurred_at => '2025-12-31 23:59:59+00')$$) AS before_first;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'video', 1)$$) AS unknown_feature;
-- Every usage entry carries the quantity, the unit price and the price.
SELECT seq, entry_type, amount, feature, quantity, unit_price,
       CASE price_id WHEN :p_jan THEN 'p_jan' WHEN :p_now THEN 'p_now' END AS price
  FROM credit_ledger.entries WHERE customer_id = 'a' ORDER BY seq;
-- A price set later but effective earlier prices later-reported usage of
-- that time; two prices at one instant: the later one wins.
SELECT credit_price_set('image', 'usd', 2, effective_at => '2026-02-01') AS p_feb \gset
SELECT credit_price_set('image', 'usd', 1.75, effective_at => '2026-02-01') AS p_feb2 \gset
SELECT amount FROM credit_report_usage('a', 'image', 2, occurred_at => '2026-02-15');
SELECT amount FROM credit_report_usage('a', 'image', 2, occurred_at => '2026-01-15');

-- A customer's own price overrides the general one from its effective_at,
-- and only for that customer; it may name another credit type.
SELECT credit_grant('vip', 'usd', 100);
SELECT credit_grant('vip', 'tok', 100);
SELECT credit_price_set('image', 'usd', 1, customer_id => 'vip', effective_at => '2026-02-20') AS p_vip \gset
SELECT amount FROM credit_report_usage('vip', 'image', 2, occurred_at => '2026-02-10');
SELECT amount FROM credit_report_usage('vip', 'image', 2);
SELECT amount FROM credit_report_usage('a', 'image', 2);
SELECT credit_price_set('image', 'tok', 7, customer_id => 'vip', effective_at => '2026-02-25');
SELECT amount, balance FROM credit_report_usage('vip', 'image', 2);
SELECT customer_id, credit_type, balance FROM credit_ledger.wallets WHERE customer_id = 'vip' ORDER BY credit_type;

-- The three roundings at scale 0 of 0.5 per unit: 1 -> 0.5, 3 -> 1.5,
-- 5 -> 2.5, 7 -> 3.5 (half_even: ties to even, 0 2 2 4).
SELECT credit_price_set('r_up', 'tok', 0.5, rounding => 'up');
SELECT credit_price_set('r_down', 'tok', 0.5, rounding => 'down');
SELECT credit_price_set('r_even', 'tok', 0.5, rounding => 'half_even');
SELECT credit_grant('r', 'tok', 1000);
SELECT f, q, (SELECT amount FROM credit_report_usage('r', f, q)) AS credits
  FROM unnest(ARRAY['r_up', 'r_down', 'r_even']) f, unnest(ARRAY[1, 3, 5, 7, 2.2, 2.6]) q
 ORDER BY f, q;
-- Not a tie: half_even rounds to the nearest.
SELECT credit_price_set('r_even2', 'usd', 0.001, rounding => 'half_even');
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('r', 'r_even2', 4)$$) AS no_usd_wallet;
SELECT credit_grant('r', 'usd', 10);
SELECT q, (SELECT amount FROM credit_report_usage('r', 'r_even2', q)) AS credits
  FROM unnest(ARRAY[4, 5, 6, 15, 25, 26]) q ORDER BY q;

-- Credits that round to zero, and a price of zero, are results: the
-- operation is recorded with no entry and its key replays.
SELECT credit_price_set('free', 'usd', 0);
SELECT amount, balance, replayed FROM credit_report_usage('r', 'free', 10, 'z1');
SELECT amount, balance, replayed FROM credit_report_usage('r', 'r_down', 1, 'z2');
SELECT amount, balance, replayed FROM credit_report_usage('r', 'free', 10, 'z1');
SELECT amount, balance, replayed FROM credit_report_usage('r', 'r_down', 1, 'z2');
SELECT operation_type, amount, last_seq - first_seq + 1 AS entries
  FROM credit_ledger.operations WHERE customer_id = 'r'
   AND key_hash IN (substr(sha256('z1'), 1, 16), substr(sha256('z2'), 1, 16))
 ORDER BY operation_id;
SELECT count(*) AS free_entries FROM credit_ledger.entries WHERE feature = 'free';
-- Without a wallet of the price's credit type: LG001, as a consume.
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('nobody', 'free', 1)$$) AS no_wallet;

-- Idempotency: the same request replays (a quantity in another form is the
-- same request, and so is a retry after the price changed), a different
-- one is LG002; a usage key and a consume key are one key space.
SELECT amount, replayed FROM credit_report_usage('a', 'image', 2, 'k1');
SELECT amount, replayed FROM credit_report_usage('a', 'image', 2.000, 'k1');
SELECT credit_price_set('image', 'usd', 4, effective_at => '2026-03-01 12:00:00+00');
SELECT amount, replayed FROM credit_report_usage('a', 'image', 2, 'k1');
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'image', 3, 'k1')$$) AS other_quantity;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'image', 2, 'k1', occurred_at => '2026-03-01')$$) AS other_time;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'r_up', 2, 'k1')$$) AS other_feature;
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('a', 'usd', 6, 'k1', 'image')$$) AS as_consume;
-- A replay answers before any price is read, single or batch: whatever
-- the prices say today - a price that would now overflow the credits
-- (22003), none at all (LG007: a superuser's DELETE, rolled back) - the
-- stored result comes back.
SELECT credit_price_set('swing', 'usd', 1);
SELECT amount, replayed FROM credit_report_usage('a', 'swing', 2, 'k-swing');
SELECT credit_price_set('swing', 'usd', 999999999999999999);
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'swing', 2)$$) AS unkeyed_overflows;
SELECT amount, replayed FROM credit_report_usage('a', 'swing', 2, 'k-swing');
BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM credit_ledger.prices WHERE feature = 'swing';
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'swing', 2)$$) AS unkeyed_unpriced;
SELECT amount, replayed FROM credit_report_usage('a', 'swing', 2, 'k-swing');
SELECT ordinal, status, amount, sqlstate FROM credit_report_usage_batch(
  '[{"customer_id": "a", "feature": "swing", "quantity": 2, "idempotency_key": "k-swing"}]');
ROLLBACK;
-- The stored fingerprints (1.2 format; the unit test
-- StoredFormat.UsageFingerprint pins the same bytes).
SELECT credit_grant('acme', 'usd', 100);
SELECT amount FROM credit_report_usage('acme', 'image', 3, 'u1', '2026-03-01 11:59:00+00', 'req-1', '{"user_id": "u1"}');
SELECT amount FROM credit_report_usage('acme', 'image', 2.5, 'u2', allow_partial => true);
SELECT encode(key_hash, 'hex') AS key_hash, operation_type, encode(request_hash, 'hex') AS request_hash
  FROM credit_ledger.operations WHERE customer_id = 'acme' ORDER BY operation_id;

-- allow_partial: as much as the balance covers, never debt.
SELECT credit_grant('p', 'usd', 5);
SELECT amount, balance FROM credit_report_usage('p', 'image', 3, allow_partial => true);
SELECT amount, balance FROM credit_report_usage('p', 'image', 3, allow_partial => true);
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('p', 'image', 3)$$) AS insufficient;

-- A priced usage is a consume: it draws over several blocks (each usage
-- entry with the price) and is reversed like one.
SELECT credit_grant('m', 'usd', 3, expires_at => '2026-04-01');
SELECT credit_grant('m', 'usd', 10);
SELECT operation_id AS m_op FROM credit_report_usage('m', 'image', 1.25, source_id => 'req-m') \gset
SELECT seq, entry_type, amount, feature, source_id, quantity, unit_price, price_id IS NOT NULL AS priced
  FROM credit_ledger.entries WHERE customer_id = 'm' ORDER BY seq;
SELECT amount, balance FROM credit_reverse(:m_op, reason => 'refund');

-- Bad input: nothing is written.
SELECT count(*) AS operations_before FROM credit_ledger.operations \gset
SELECT q, pg_temp.sqlstate_of(format('SELECT credit_report_usage(%L, %L, %L)', 'a', 'image', q)) AS outcome
  FROM unnest(ARRAY['0', '-1', '-0.5', 'NaN', 'Infinity', '-Infinity',
                    '1.0000000000000000001', '12345678901234567890']) q;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage(NULL, 'image', 1)$$) AS null_customer;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', NULL, 1)$$) AS null_feature;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'image', NULL)$$) AS null_quantity;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'image', 1, allow_partial => NULL)$$) AS null_partial;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'image', 1, occurred_at => '2026-03-03')$$) AS future;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'image', 1, metadata => '[1]')$$) AS metadata_array;
-- Credits beyond an amount's range.
SELECT credit_price_set('huge', 'usd', 999999999999999999);
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage('a', 'huge', 1000)$$) AS overflow;
SELECT count(*) - :operations_before AS operations_written FROM credit_ledger.operations;

SELECT count(*) AS prices_before FROM credit_ledger.prices \gset
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', 'gold', 1)$$) AS unknown_type;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', 'usd', 1, rounding => 'nearest')$$) AS unknown_rounding;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', 'usd', -1)$$) AS negative;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', 'usd', 'NaN')$$) AS nan;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', 'usd', 'Infinity')$$) AS infinite;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', 'usd', 0.0000000000000000001)$$) AS too_many_decimals;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', 'usd', 1234567890123456789)$$) AS too_many_digits;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set(NULL, 'usd', 1)$$) AS null_feature;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', NULL, 1)$$) AS null_type;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', 'usd', NULL)$$) AS null_price;
SELECT pg_temp.sqlstate_of($$SELECT credit_price_set('x', 'usd', 1, effective_at => 'infinity')$$) AS infinite_time;
SELECT count(*) - :prices_before AS prices_written FROM credit_ledger.prices;
-- Over-precision is 22003, as for amounts beyond 18 digits (exact.hpp).
-- rounding has a default: NULL is that default ('up'), not an error.
SELECT credit_price_set('x', 'usd', 1, rounding => NULL) AS x_price \gset
SELECT rounding FROM credit_ledger.prices WHERE price_id = :x_price;
-- 18 decimals and 18 digits are fine.
SELECT credit_price_set('fine', 'usd', 0.000000000000000001) > 0 AS ok;
SELECT credit_price_set('fine', 'usd', 123456789012345678) > 0 AS ok;
-- Every price set is still there as it was set: a new price is a new row.
SELECT feature, credit_type, customer_id, credits_per_unit, rounding, effective_at
  FROM credit_ledger.prices WHERE feature IN ('image', 'free') ORDER BY price_id;
-- ... and stays so: prices are append-only (LG005), for their owner and a
-- superuser too, as the entries that name them are.
SELECT pg_temp.sqlstate_of($$UPDATE credit_ledger.prices SET credits_per_unit = 0 WHERE feature = 'image'$$) AS price_update;
SELECT pg_temp.sqlstate_of($$DELETE FROM credit_ledger.prices WHERE feature = 'image'$$) AS price_delete;
SELECT pg_temp.sqlstate_of($$TRUNCATE credit_ledger.prices$$) AS price_truncate;
UPDATE credit_ledger.prices SET rounding = 'down' WHERE feature = 'free';
SELECT count(*) AS image_prices FROM credit_ledger.prices WHERE feature = 'image' AND credits_per_unit > 0;

-- The batch: credit_consume_batch's rules, per event; mixed features and
-- customers, errors that stay in their row, replays and LG002.
SELECT credit_grant('b', 'usd', 20);
SELECT credit_grant('b', 'tok', 3);
SELECT ordinal, status, amount, balance, sqlstate, message FROM credit_report_usage_batch('[
  {"customer_id": "b", "feature": "image", "quantity": 2, "idempotency_key": "b1"},
  {"customer_id": "b", "feature": "r_up", "quantity": "3"},
  {"customer_id": "b", "feature": "video", "quantity": 1},
  {"customer_id": "b", "feature": "image", "quantity": 0},
  {"customer_id": "b", "feature": "image", "quantity": 1, "credit_type": "usd"},
  {"customer_id": "b", "feature": "image", "quantity": 2, "idempotency_key": "b1"},
  {"customer_id": "b", "feature": "image", "quantity": 3, "idempotency_key": "b1"},
  {"customer_id": "b", "feature": "r_up", "quantity": 4},
  {"customer_id": "b", "feature": "r_up", "quantity": 4, "allow_partial": true},
  {"customer_id": "b", "feature": "image", "quantity": 1, "occurred_at": "2025-06-01T00:00:00Z"},
  {"customer_id": "vip", "feature": "image", "quantity": 1},
  {"customer_id": "b", "feature": "free", "quantity": 5, "idempotency_key": "b2"},
  {"customer_id": "b", "feature": "image", "quantity": 1, "occurred_at": "2026-02-15T00:00:00Z"},
  {"feature": "image", "quantity": 1},
  "image"]');
-- A batch event and a single call share the fingerprint; a second batch
-- replays what the first stored.
SELECT amount, replayed FROM credit_report_usage('b', 'image', 2, 'b1');
SELECT ordinal, status, amount, sqlstate FROM credit_report_usage_batch('[
  {"customer_id": "b", "feature": "image", "quantity": 2.0, "idempotency_key": "b1"},
  {"customer_id": "b", "feature": "free", "quantity": 5, "idempotency_key": "b2"},
  {"customer_id": "b", "feature": "free", "quantity": 6, "idempotency_key": "b2"}]');
SELECT seq, credit_type, amount, feature, quantity, unit_price, price_id IS NOT NULL AS priced
  FROM credit_ledger.entries WHERE customer_id = 'b' AND entry_type = 'usage'
 ORDER BY credit_type, seq;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage_batch(NULL)$$) AS null_batch;
SELECT pg_temp.sqlstate_of($$SELECT credit_report_usage_batch('{}')$$) AS not_array;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
