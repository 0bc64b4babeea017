-- Automatic top-up (1.2, issue 14): when a credit-taking operation (consume,
-- capture, hold, negative adjustment, batch event, void, an expiry written
-- by the sweep or a catch-up) leaves the available balance below the
-- wallet's threshold, the same transaction creates a pending grant of kind
-- topup and the event credits.auto_topup.requested. One pending top-up per
-- wallet, at most max_per_day requests per UTC day, nothing for a replay;
-- confirming or canceling the block lets the next crossing ask again.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
\i test/sql/include/sqlstate_of.sql
-- The requests of a customer so far: events and top-up blocks, which must
-- always agree.
CREATE FUNCTION pg_temp.requests(c text) RETURNS text LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM credit_ledger.events
           WHERE event_type = 'credits.auto_topup.requested' AND customer_id = c)
         || ' events, ' ||
         (SELECT count(*) FROM credit_ledger.grants WHERE kind = 'topup' AND customer_id = c)
         || ' blocks'
$$;
-- The wallet's top-up state.
CREATE FUNCTION pg_temp.topup(c text)
RETURNS TABLE (pending_grant_id bigint, day integer, count integer) LANGUAGE sql AS $$
  SELECT topup_pending_grant_id, topup_day, topup_count
    FROM credit_ledger.wallets WHERE customer_id = c
$$;
-- What a failing call must leave untouched.
CREATE FUNCTION pg_temp.written() RETURNS bigint LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM credit_ledger.operations) + (SELECT count(*) FROM credit_ledger.entries)
       + (SELECT count(*) FROM credit_ledger.events) + (SELECT count(*) FROM credit_ledger.grants)
       + (SELECT count(*) FROM credit_ledger.wallets)
$$;

-- 1. Configuring creates the wallet (like credit_wallet_configure) and
-- returns its id; nothing is requested until an operation takes credit,
-- even below the threshold.
SELECT credit_auto_topup_configure('a', 'usd', threshold => 100, amount => 500,
                                   cost_basis => 0.01) AS a_wallet \gset
SELECT wallet_id = :a_wallet AS same_wallet, balance FROM credit_ledger.wallets WHERE customer_id = 'a';
SELECT topup_threshold, topup_amount, topup_cost_basis, topup_max_per_day, topup_enabled,
       topup_pending_grant_id, topup_day, topup_count
  FROM credit_ledger.wallets WHERE customer_id = 'a';
SELECT pg_temp.requests('a');

-- 2. A grant is not credit-taking: it asks nothing even when it leaves the
-- balance below the threshold. A consume that stays at or above it asks
-- nothing either.
SELECT credit_grant('a', 'usd', 50) IS NOT NULL AS granted;
SELECT pg_temp.requests('a') AS after_low_grant;
SELECT credit_grant('a', 'usd', 250) IS NOT NULL AS granted;
SELECT amount, balance FROM credit_consume('a', 'usd', 200);
SELECT pg_temp.requests('a') AS at_threshold;

-- 3. Crossing it: the consume's transaction holds a pending block of 500
-- (kind topup, the configured cost basis, not spendable) and the event;
-- the balance the consume returns is unchanged.
SELECT operation_id AS crossing_op, amount, balance FROM credit_consume('a', 'usd', 10) \gset
SELECT :'balance' AS balance;
SELECT pg_temp.requests('a') AS after_crossing;
SELECT grant_id AS topup1, amount, remaining, cost_basis, kind, pending, entered,
       operation_id = :crossing_op AS of_the_consume, effective_at,
       expires_at IS NULL AS never_expires
  FROM credit_ledger.grants WHERE customer_id = 'a' AND kind = 'topup' \gset
SELECT :topup1 IS NOT NULL AS have_block, :'amount' AS amount, :'cost_basis' AS cost_basis,
       :'pending' AS pending, :'entered' AS entered, :'of_the_consume' AS of_the_consume,
       :'effective_at' AS effective_at, :'never_expires' AS never_expires;
SELECT pending_grant_id = :topup1 AS marked, day, count FROM pg_temp.topup('a');
-- The event: grant_id, amount, cost_basis and the balance the consume left.
SELECT (payload ->> 'grant_id')::bigint = :topup1 AS names_block, payload ->> 'amount' AS amount,
       payload ->> 'cost_basis' AS cost_basis, payload ->> 'balance' AS balance,
       payload ->> 'customer_id' AS customer_id, payload ->> 'credit_type' AS credit_type,
       operation_id = :crossing_op AS of_the_consume
  FROM credit_ledger.events
 WHERE event_type = 'credits.auto_topup.requested' AND customer_id = 'a';
SELECT available, pending FROM credit_ledger.wallet_summary WHERE customer_id = 'a';

-- 4. One pending at a time: the next consume below the threshold asks
-- nothing while the first block waits.
SELECT amount, balance FROM credit_consume('a', 'usd', 5);
SELECT pg_temp.requests('a') AS while_pending;

-- 5. Payment arrived: confirming enters the block (credits.granted) and
-- clears the marker, so the next crossing asks again.
SELECT amount, balance FROM credit_grant_confirm('a', :topup1);
SELECT pending_grant_id, day, count FROM pg_temp.topup('a');
SELECT amount, balance FROM credit_consume('a', 'usd', 500);
SELECT pg_temp.requests('a') AS after_confirm;
SELECT pending_grant_id AS topup2, count FROM pg_temp.topup('a') \gset
SELECT :'count' AS count;

-- 6. Payment failed: canceling clears the marker too, and the next
-- operation below the threshold asks again (the third of the day).
SELECT credit_grant_cancel('a', :topup2, 'card declined');
SELECT pending_grant_id, count FROM pg_temp.topup('a');
SELECT amount, balance FROM credit_consume('a', 'usd', 1);
SELECT pg_temp.requests('a') AS after_cancel;
SELECT pending_grant_id AS topup3, count FROM pg_temp.topup('a') \gset
SELECT :'count' AS count;

-- 7. max_per_day (3 here): after a third cancel the day's requests are
-- used up; one microsecond before midnight UTC still counts as the same
-- day; from midnight on it asks again and the count restarts at 1.
SELECT credit_grant_cancel('a', :topup3);
SELECT amount, balance FROM credit_consume('a', 'usd', 1);
SELECT pg_temp.requests('a') AS max_reached, (SELECT pending_grant_id FROM pg_temp.topup('a'));
SET credit_ledger.clock = '2026-03-01 23:59:59.999999+00';
SELECT amount, balance FROM credit_consume('a', 'usd', 1);
SELECT pg_temp.requests('a') AS before_midnight;
SET credit_ledger.clock = '2026-03-02 00:00:00+00';
SELECT amount, balance FROM credit_consume('a', 'usd', 1);
SELECT pg_temp.requests('a') AS after_midnight;
SELECT pending_grant_id IS NOT NULL AS pending,
       '2000-01-01'::date + day AS utc_day, count FROM pg_temp.topup('a');
SET credit_ledger.clock = '2026-03-01 12:00:00+00';

-- 8. Disabled: nothing is asked; enabled again, the next crossing asks.
SELECT credit_grant('d', 'usd', 150) IS NOT NULL AS granted;
SELECT credit_auto_topup_configure('d', 'usd', 100, 50, enabled => false) IS NOT NULL AS configured;
SELECT amount, balance FROM credit_consume('d', 'usd', 60);
SELECT pg_temp.requests('d') AS disabled;
SELECT credit_auto_topup_configure('d', 'usd', 100, 50) IS NOT NULL AS configured;
SELECT amount, balance FROM credit_consume('d', 'usd', 1);
SELECT pg_temp.requests('d') AS enabled;

-- 9. A replayed call requests nothing: the crossing consume's key, replayed
-- after its block was canceled, returns its result and asks nothing; the
-- next new consume does.
SELECT credit_grant('r', 'usd', 150) IS NOT NULL AS granted;
SELECT credit_auto_topup_configure('r', 'usd', 100, 50) IS NOT NULL AS configured;
SELECT amount, balance, replayed FROM credit_consume('r', 'usd', 60, idempotency_key => 'k1');
SELECT pending_grant_id AS r_topup FROM pg_temp.topup('r') \gset
SELECT credit_grant_cancel('r', :r_topup);
SELECT amount, balance, replayed FROM credit_consume('r', 'usd', 60, idempotency_key => 'k1');
SELECT pg_temp.requests('r') AS after_replay, (SELECT pending_grant_id FROM pg_temp.topup('r'));
SELECT amount, balance, replayed FROM credit_consume('r', 'usd', 1, idempotency_key => 'k2');
SELECT pg_temp.requests('r') AS after_new_call;

-- 10. Every credit-taking operation asks when it crosses: each wallet has
-- 150 and a threshold of 100 (top-up of 50).
SELECT c, credit_grant(c, 'usd', 150) IS NOT NULL AS granted,
       credit_auto_topup_configure(c, 'usd', 100, 50) IS NOT NULL AS configured
  FROM unnest(ARRAY['adj', 'hold', 'capture', 'batch', 'sweep', 'catchup']) AS c;
-- A negative adjustment.
SELECT amount, balance FROM credit_adjust('adj', 'usd', -60, 'correction');
SELECT pg_temp.requests('adj') AS adjust;
-- A hold (the available balance drops at once).
SELECT amount, balance FROM credit_hold('hold', 'usd', 60);
SELECT pg_temp.requests('hold') AS hold;
-- A capture: a hold of 40 stays above the threshold; capturing 60 draws 20
-- more and crosses it.
SELECT hold_id AS cap_hold, balance FROM credit_hold('capture', 'usd', 40) \gset
SELECT :'balance' AS after_hold, pg_temp.requests('capture') AS hold_above;
SELECT amount, balance FROM credit_capture('capture', :cap_hold, 60);
SELECT pg_temp.requests('capture') AS capture;
-- A void of a block.
SELECT credit_grant('void', 'usd', 50) IS NOT NULL AS granted;
SELECT credit_grant('void', 'usd', 100) AS void_block \gset
SELECT credit_auto_topup_configure('void', 'usd', 100, 50) IS NOT NULL AS configured;
SELECT credit_void(:void_block);
SELECT pg_temp.requests('void') AS void;
-- A batch: its first event crosses and asks, the second finds the top-up
-- pending; one request.
SELECT status, amount, balance FROM credit_consume_batch(
  '[{"customer_id": "batch", "credit_type": "usd", "amount": "60"},
    {"customer_id": "batch", "credit_type": "usd", "amount": "10"}]');
SELECT pg_temp.requests('batch') AS batch;
SELECT (payload ->> 'balance') AS balance FROM credit_ledger.events
 WHERE event_type = 'credits.auto_topup.requested' AND customer_id = 'batch';
-- Expiries. 'sweep' gets 60 lapsing at 13:00, 'catchup' 60 at 15:00, both
-- above 150 that last, with a threshold of 200. A read asks nothing (it
-- writes nothing); the sweep's expiry asks, under the sweep's catch_up
-- operation; a write's catch-up expiry asks before the write itself (here a
-- grant, which never asks).
SELECT credit_grant('sweep', 'usd', 60, expires_at => '2026-03-01 13:00+00') IS NOT NULL AS lapsing;
SELECT credit_grant('catchup', 'usd', 60, expires_at => '2026-03-01 15:00+00') IS NOT NULL AS lapsing;
SELECT c, credit_auto_topup_configure(c, 'usd', 200, 50) IS NOT NULL AS configured,
       credit_balance(c, 'usd') AS balance
  FROM unnest(ARRAY['sweep', 'catchup']) AS c;
SET credit_ledger.clock = '2026-03-01 14:00:00+00';
SELECT credit_balance('sweep', 'usd') AS sweep_read, pg_temp.requests('sweep') AS after_read;
SELECT credit_expire() AS swept;
SELECT pg_temp.requests('sweep') AS sweep, pg_temp.requests('catchup') AS catchup_not_due;
SET credit_ledger.clock = '2026-03-01 16:00:00+00';
SELECT credit_grant('catchup', 'usd', 1) IS NOT NULL AS granted;
SELECT pg_temp.requests('catchup') AS catchup;
SELECT e.customer_id, o.operation_type, e.payload ->> 'balance' AS balance
  FROM credit_ledger.events e JOIN credit_ledger.operations o USING (operation_id, customer_id)
 WHERE e.event_type = 'credits.auto_topup.requested' AND e.customer_id IN ('sweep', 'catchup')
 ORDER BY e.event_id;
SELECT credit_balance('catchup', 'usd') AS catchup_balance;
SET credit_ledger.clock = '2026-03-01 12:00:00+00';

-- 11. Operations that give credit ask nothing, even below the threshold
-- (raised to 1000 here): a confirm, a positive adjustment, a reversal.
-- ('hold' has a pending top-up of 50; its hold timed out at 12:10 and the
-- sweep at 14:00 gave the 60 back, so 150 is available.)
SELECT pending_grant_id AS hold_topup FROM pg_temp.topup('hold') \gset
SELECT credit_auto_topup_configure('hold', 'usd', 1000, 50) IS NOT NULL AS configured;
SELECT amount, balance FROM credit_grant_confirm('hold', :hold_topup);
SELECT amount, balance FROM credit_adjust('hold', 'usd', 1, 'goodwill');
SELECT pg_temp.requests('hold') AS still_one, (SELECT pending_grant_id FROM pg_temp.topup('hold'));
-- ...the next credit-taking operation asks; reversing it asks nothing.
SELECT operation_id AS hold_consume, amount, balance FROM credit_consume('hold', 'usd', 1) \gset
SELECT pg_temp.requests('hold') AS asks_again;
SELECT pending_grant_id AS hold_topup2 FROM pg_temp.topup('hold') \gset
SELECT credit_grant_cancel('hold', :hold_topup2);
SELECT amount, balance FROM credit_reverse(:hold_consume);
SELECT pg_temp.requests('hold') AS reversal_asks_nothing;

-- 12. Bad input: 22023 / 22004 (LG003 for an unknown type), nothing
-- written, no wallet created.
SELECT pg_temp.written() AS written_before \gset
SELECT pg_temp.sqlstate_of(sql) AS error, sql
  FROM unnest(ARRAY[
    $$SELECT credit_auto_topup_configure('new', 'usd', -1, 50)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, 0)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, -5)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10.001, 50)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, 50.001)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, 50, cost_basis => -0.01)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, 50, max_per_day => 0)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, 50, max_per_day => -3)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 'NaN', 50)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, 'Infinity')$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, 12345678901234567890)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', NULL, 50)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, NULL)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, 50, max_per_day => NULL)$$,
    $$SELECT credit_auto_topup_configure('new', 'usd', 10, 50, enabled => NULL)$$,
    $$SELECT credit_auto_topup_configure(NULL, 'usd', 10, 50)$$,
    $$SELECT credit_auto_topup_configure('new', NULL, 10, 50)$$,
    $$SELECT credit_auto_topup_configure('new', 'eur', 10, 50)$$,
    $$SELECT credit_auto_topup_configure('', 'usd', 10, 50)$$]) AS sql;
SELECT pg_temp.written() - :written_before AS written,
       (SELECT count(*) FROM credit_ledger.wallets WHERE customer_id = 'new') AS new_wallets;
-- A failed configuration leaves an existing one as it was.
SELECT pg_temp.sqlstate_of($$SELECT credit_auto_topup_configure('a', 'usd', 10, 0)$$) AS error;
SELECT topup_threshold, topup_amount, topup_cost_basis, topup_max_per_day, topup_enabled
  FROM credit_ledger.wallets WHERE customer_id = 'a';
-- A threshold of zero is allowed (ask only once in debt).
SELECT credit_auto_topup_configure('a', 'usd', 0, 1) IS NOT NULL AS zero_threshold;

-- 13. credit_verify checks the pending top-up: the wallet's
-- topup_pending_grant_id names a top-up block of the wallet waiting for
-- payment, and no other one waits. Each corruption is planted as a
-- superuser would, and rolled back.
SELECT credit_auto_topup_configure('v', 'usd', threshold => 100, amount => 500) > 0 AS configured;
SELECT credit_grant('v', 'usd', 50) AS v_grant \gset
SELECT amount FROM credit_consume('v', 'usd', 1);
SELECT pending_grant_id AS v_topup FROM pg_temp.topup('v') \gset
SELECT kind, pending, :v_topup > :v_grant AS after_the_grant FROM credit_ledger.grants WHERE grant_id = :v_topup;
SELECT * FROM credit_verify('v');
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE credit_ledger.wallets SET topup_pending_grant_id = NULL WHERE customer_id = 'v';
SELECT problem, replace(detail, :'v_topup', 'T') AS detail FROM credit_verify('v');
ROLLBACK;
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE credit_ledger.wallets SET topup_pending_grant_id = :v_grant WHERE customer_id = 'v';
SELECT problem, replace(replace(detail, :'v_topup', 'T'), :'v_grant', 'G') AS detail
  FROM credit_verify('v') ORDER BY detail;
ROLLBACK;
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE credit_ledger.grants SET pending = false WHERE grant_id = :v_topup AND customer_id = 'v';
SELECT problem, replace(detail, :'v_topup', 'T') AS detail FROM credit_verify('v');
ROLLBACK;
SELECT * FROM credit_verify('v');

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
