-- Holds (1.2): credit_hold reserves credits (the available balance drops at
-- once, the ledger does not move), credit_capture turns them into usage on
-- the blocks reserved - even ones that lapsed or were voided since - and
-- gives the rest back, credit_release gives everything back. Credit given
-- back to a lapsed or voided block leaves again at once.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100, reason => 'A') AS ga \gset

-- A hold lowers the available balance at once and writes no entry.
SELECT hold_id AS h1, amount, balance, expires_at, replayed
  FROM credit_hold('c', 'usd', 30, idempotency_key => 'h1', feature => 'llm',
                   source_id => 'req-1', metadata => '{"model": "m"}') \gset
SELECT :h1 AS h1, :'amount' AS amount, :'balance' AS balance, :'expires_at' AS expires_at;
SELECT credit_balance('c', 'usd');
SELECT balance, held FROM credit_ledger.wallets WHERE customer_id = 'c';
SELECT grant_id, remaining, held FROM credit_ledger.grants WHERE customer_id = 'c';
SELECT count(*) AS entries FROM credit_ledger.entries WHERE customer_id = 'c';
SELECT status, amount, reserved_grant_ids, reserved_amounts FROM credit_ledger.holds WHERE hold_id = :h1;
-- Other operations cannot spend what is held.
SELECT credit_consume('c', 'usd', 71);
-- A replay returns the original result; another request with the key: LG002.
SELECT hold_id = :h1 AS same_hold, amount, balance, expires_at, replayed
  FROM credit_hold('c', 'usd', 30, idempotency_key => 'h1', feature => 'llm',
                   source_id => 'req-1', metadata => '{"model": "m"}');
SELECT credit_hold('c', 'usd', 31, idempotency_key => 'h1');

-- Capture under the hold: the rest goes back; labels default to the hold's.
SELECT amount, balance, replayed FROM credit_capture('c', :h1, 12.5, 'cap1');
SELECT amount, balance, replayed FROM credit_capture('c', :h1, 12.5, 'cap1');
SELECT seq, entry_type, amount, balance_after, grant_id, feature, source_id, metadata
  FROM credit_ledger.entries WHERE customer_id = 'c' ORDER BY seq;
SELECT status, captured, closed_at IS NOT NULL AS closed FROM credit_ledger.holds WHERE hold_id = :h1;
SELECT balance, held FROM credit_ledger.wallets WHERE customer_id = 'c';
-- A closed hold: capture and release raise LG006, nothing written.
SELECT credit_capture('c', :h1);
SELECT credit_release('c', :h1);
-- Another customer's hold is not found (LG004), nor an unknown one.
SELECT credit_capture('other', :h1);
SELECT credit_release('other', :h1);
SELECT credit_capture('c', 999999);

-- Capture at the hold (the default amount) and over it.
SELECT hold_id AS h2 FROM credit_hold('c', 'usd', 10) \gset
SELECT amount, balance FROM credit_capture('c', :h2);
SELECT hold_id AS h3 FROM credit_hold('c', 'usd', 10) \gset
SELECT amount, balance FROM credit_capture('c', :h3, 15);
-- Over-capture past what the wallet has: LG001 for the whole capture.
SELECT hold_id AS h4 FROM credit_hold('c', 'usd', 10) \gset
SELECT credit_capture('c', :h4, 1000);
SELECT status FROM credit_ledger.holds WHERE hold_id = :h4;
-- Capturing zero is invalid (22023); the hold stays.
SELECT credit_capture('c', :h4, 0);
-- Release gives it all back; a repeat is LG006.
SELECT credit_release('c', :h4, 'not needed');
SELECT credit_release('c', :h4);
SELECT credit_balance('c', 'usd');

-- Bad input: timeouts of zero or over 31 days, NULLs, amounts.
SELECT credit_hold('c', 'usd', 1, timeout => '0 seconds');
SELECT credit_hold('c', 'usd', 1, timeout => '32 days');
SELECT credit_hold('c', 'usd', 1, timeout => NULL);
SELECT credit_hold('c', 'usd', 0);
SELECT credit_hold('c', 'usd', 1.001);
SELECT credit_hold(NULL, 'usd', 1);
SELECT credit_capture('c', NULL);
SELECT credit_capture('c', :h4, -1);
SELECT credit_hold('nobody', 'usd', 1);

-- The guarantee: a capture of up to the held amount succeeds after the
-- reserved block lapsed. Block B expires at 13:00; the hold outlives it.
SELECT credit_grant('t', 'usd', 50, expires_at => '2026-03-01 13:00+00', reason => 'B') AS gb \gset
SELECT hold_id AS h5 FROM credit_hold('t', 'usd', 20, timeout => '2 hours') \gset
SELECT hold_id AS h6 FROM credit_hold('t', 'usd', 20, timeout => '2 hours') \gset
SET credit_ledger.clock = '2026-03-01 13:30:00+00';
SELECT credit_balance('t', 'usd');
SELECT amount, balance FROM credit_capture('t', :h5, 5);
-- The 15 not captured went back to the lapsed block and left at once.
SELECT seq, entry_type, amount, balance_after, grant_id, occurred_at
  FROM credit_ledger.entries WHERE customer_id = 't' ORDER BY seq;
-- Release into a lapsed block writes its expiration at once.
SELECT credit_release('t', :h6);
SELECT seq, entry_type, amount, balance_after, grant_id
  FROM credit_ledger.entries WHERE customer_id = 't' ORDER BY seq;
SELECT grant_id, remaining, held, open FROM credit_ledger.grants WHERE customer_id = 't';

-- And after the reserved block was voided.
SET credit_ledger.clock = '2026-03-01 12:00:00+00';
SELECT credit_grant('v', 'usd', 40) AS gv \gset
SELECT hold_id AS h7 FROM credit_hold('v', 'usd', 25) \gset
SELECT credit_void(:gv, 'chargeback');
SELECT amount, balance FROM credit_capture('v', :h7, 20);
SELECT seq, entry_type, amount, balance_after, grant_id
  FROM credit_ledger.entries WHERE customer_id = 'v' ORDER BY seq;

-- A hold past its deadline reserves nothing for readers and cannot be
-- captured (LG006: the call, and the catch-up it began with, roll back);
-- the next write that succeeds marks it expired.
SELECT hold_id AS h8 FROM credit_hold('c', 'usd', 1, timeout => '1 minute') \gset
SELECT credit_balance('c', 'usd');
SET credit_ledger.clock = '2026-03-01 12:01:00+00';
SELECT credit_balance('c', 'usd');
SELECT status FROM credit_ledger.holds WHERE hold_id = :h8;
SELECT credit_capture('c', :h8);
SELECT status FROM credit_ledger.holds WHERE hold_id = :h8;
SELECT amount, balance FROM credit_consume('c', 'usd', 1);
SELECT status, closed_at FROM credit_ledger.holds WHERE hold_id = :h8;
SELECT credit_release('c', :h8);

-- A soft limit: the part no block covers is reserved against the allowance,
-- so holds and debt together never exceed the limit.
SELECT credit_wallet_configure('s', 'usd', 50);
SELECT credit_grant('s', 'usd', 10);
SELECT hold_id AS h9, balance FROM credit_hold('s', 'usd', 40) \gset
SELECT :'balance' AS balance;
SELECT credit_consume('s', 'usd', 21);
SELECT amount, balance FROM credit_consume('s', 'usd', 20);
SELECT amount, balance FROM credit_capture('s', :h9);
SELECT balance, debt, held, held_overdraft FROM credit_ledger.wallets WHERE customer_id = 's';

-- Stored fingerprints (the unit tests StoredFormat.HoldFingerprint and
-- StoredFormat.CaptureFingerprint pin the same bytes).
SELECT credit_grant('acme', 'usd', 100);
SELECT hold_id AS hk FROM credit_hold('acme', 'usd', 12.5, '10 minutes', 'h1', 'chat', 'req-1', '{"model": "x"}') \gset
SELECT :hk AS hk;
SELECT operation_id FROM credit_capture('acme', :hk, idempotency_key => 'cap1') \gset
SELECT operation_type, encode(key_hash, 'hex') AS key_hash, encode(request_hash, 'hex') AS request_hash
  FROM credit_ledger.operations WHERE customer_id = 'acme' AND key_hash IS NOT NULL
 ORDER BY operation_id;

-- A consume that empties a block's free credit leaves the block open for
-- what a hold still reserves from it.
SELECT credit_grant('e', 'usd', 10);
SELECT hold_id AS he FROM credit_hold('e', 'usd', 6) \gset
SELECT amount, balance FROM credit_consume('e', 'usd', 4);
SELECT remaining, held, open FROM credit_ledger.grants WHERE customer_id = 'e';
SELECT amount, balance FROM credit_capture('e', :he);
SELECT remaining, held, open FROM credit_ledger.grants WHERE customer_id = 'e';


-- Bad input for every argument of the hold functions raises and writes
-- nothing (no operation, entry, event or hold).
\i test/sql/include/sqlstate_of.sql
\i test/sql/include/written_now.sql
SELECT credit_grant('bad', 'usd', 10);
SELECT hold_id AS hb FROM credit_hold('bad', 'usd', 4) \gset
SELECT hold_id AS hother FROM credit_hold('c', 'usd', 1) \gset
SELECT pg_temp.written_now() AS before \gset
SELECT pg_temp.sqlstate_of($$SELECT credit_hold(NULL, 'usd', 1)$$) AS hold_null_customer,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', NULL, 1)$$) AS hold_null_type,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', NULL)$$) AS hold_null_amount,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', 1, timeout => NULL)$$) AS hold_null_timeout;
SELECT pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', 0)$$) AS hold_zero,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', -1)$$) AS hold_negative,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', 1.001)$$) AS hold_over_scale,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', 'NaN')$$) AS hold_nan;
SELECT pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', 1, timeout => '0 seconds')$$) AS timeout_zero,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', 1, timeout => '-1 minute')$$) AS timeout_negative,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', 1, timeout => '31 days 1 second')$$) AS timeout_over_31_days;
SELECT pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'eur', 1)$$) AS hold_unknown_type,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', 11)$$) AS hold_too_much,
       pg_temp.sqlstate_of($$SELECT credit_hold('bad', 'usd', 1, metadata => '[1]')$$) AS hold_metadata_not_object;
SELECT pg_temp.sqlstate_of(format('SELECT credit_capture(NULL, %s)', :hb)) AS capture_null_customer,
       pg_temp.sqlstate_of($$SELECT credit_capture('bad', NULL)$$) AS capture_null_hold,
       pg_temp.sqlstate_of(format('SELECT credit_capture(%L, %s, 0)', 'bad', :hb)) AS capture_zero,
       pg_temp.sqlstate_of(format('SELECT credit_capture(%L, %s, -1)', 'bad', :hb)) AS capture_negative,
       pg_temp.sqlstate_of(format('SELECT credit_capture(%L, %s, 1.001)', 'bad', :hb)) AS capture_over_scale;
SELECT pg_temp.sqlstate_of(format('SELECT credit_capture(%L, %s)', 'bad', :hother)) AS capture_other_customer,
       pg_temp.sqlstate_of($$SELECT credit_capture('bad', 424242)$$) AS capture_unknown,
       pg_temp.sqlstate_of(format('SELECT credit_capture(%L, %s, occurred_at => %L)', 'bad', :hb, '2026-03-05 00:00+00')) AS capture_far_future;
SELECT pg_temp.sqlstate_of(format('SELECT credit_release(NULL, %s)', :hb)) AS release_null_customer,
       pg_temp.sqlstate_of($$SELECT credit_release('bad', NULL)$$) AS release_null_hold,
       pg_temp.sqlstate_of(format('SELECT credit_release(%L, %s)', 'bad', :hother)) AS release_other_customer,
       pg_temp.sqlstate_of($$SELECT credit_release('bad', 424242)$$) AS release_unknown;
SELECT pg_temp.written_now() = :before AS nothing_written;
-- Wrong state: released, then neither capture nor release (LG006).
SELECT credit_release('bad', :hb) AS released;
SELECT pg_temp.written_now() AS before \gset
SELECT pg_temp.sqlstate_of(format('SELECT credit_capture(%L, %s)', 'bad', :hb)) AS capture_released,
       pg_temp.sqlstate_of(format('SELECT credit_release(%L, %s)', 'bad', :hb)) AS release_released;
SELECT pg_temp.written_now() = :before AS nothing_written;
SELECT credit_release('c', :hother) AS released;

-- A grant during debt on a wallet whose hold reserves part against the
-- overdraft allowance: the grant's result, its operation row and its
-- credits.granted event all give the available balance credit_balance gives
-- (they once left out the hold's overdraft part: -15.00 for -45.00).
SELECT credit_wallet_configure('od', 'usd', 50);
SELECT credit_grant('od', 'usd', 10) > 0 AS granted;
SELECT amount FROM credit_hold('od', 'usd', 40);
SELECT amount, balance FROM credit_consume('od', 'usd', 20);
SELECT credit_grant('od', 'usd', 5) AS od_grant \gset
SELECT credit_balance('od', 'usd') AS credit_balance,
       (SELECT balance FROM credit_ledger.operations
         WHERE customer_id = 'od' AND grant_id = :od_grant AND operation_type = 'grant') AS operation_balance,
       (SELECT payload->>'balance' FROM credit_ledger.events
         WHERE customer_id = 'od' AND event_type = 'credits.granted'
         ORDER BY event_id DESC LIMIT 1) AS event_balance;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
