-- Changing blocks and credit types (1.2, issue 14): credit_grant_update
-- (amendment entry, credits.grant.updated, next_due_at), credit_type_update
-- and currency (in the money-carrying events, grant_status and
-- credit_revenue), credit_grant's value (Monk's dollar mode), the wallet's
-- drawdown_order (promotional_first) and grant_usage_thresholds
-- (credits.grant.usage_low once per block and threshold); bad input.
\i test/sql/include/setup.sql
\i test/sql/include/sqlstate_of.sql
-- What a call wrote: entries, events, operations and rows of each table.
CREATE FUNCTION pg_temp.written() RETURNS text LANGUAGE sql AS $$
  SELECT format('entries %s, events %s, operations %s, grants %s, wallets %s, types %s',
                (SELECT count(*) FROM credit_ledger.entries),
                (SELECT count(*) FROM credit_ledger.events),
                (SELECT count(*) FROM credit_ledger.operations),
                (SELECT count(*) FROM credit_ledger.grants),
                (SELECT count(*) FROM credit_ledger.wallets),
                (SELECT count(*) FROM credit_ledger.credit_types))
$$;

-- Credit types: currency on create, shown; credit_type_update edits labels
-- and currency, never the scale; NULL leaves a field as it is.
SELECT credit_type_create('usd', 2, 'credit', 'credits', 'prepaid', currency => 'USD');
SELECT credit_type_create('tok', 0);
SELECT credit_type, scale, unit_singular, unit_plural, description, currency
  FROM credit_ledger.credit_types ORDER BY 1;
SELECT credit_type_update('tok', unit_plural => 'tokens', currency => 'EUR');
SELECT credit_type_update('tok', description => 'AI tokens');
SELECT credit_type, scale, unit_singular, unit_plural, description, currency
  FROM credit_ledger.credit_types ORDER BY 1;

-- Money-carrying payloads name the currency: credits.granted (cost_basis).
SELECT credit_grant('m', 'usd', 10, cost_basis => 0.5, reason => 'money') AS gm \gset
SELECT payload->>'cost_basis' AS cost_basis, payload->>'currency' AS currency
  FROM credit_ledger.events WHERE event_type = 'credits.granted'
   AND payload->>'grant_id' = :'gm';
SELECT grant_id, cost_basis, remaining_value, currency
  FROM credit_ledger.grant_status WHERE grant_id = :gm;

-- value (Monk's dollar mode): amount NULL, value and cost_basis give the
-- credits, exact at the type's scale.
SELECT credit_grant('v', 'usd', NULL, cost_basis => 0.25, value => 12.5,
                    idempotency_key => 'v1') AS gv \gset
SELECT amount, remaining, cost_basis FROM credit_ledger.grants WHERE grant_id = :gv;
SELECT amount, value FROM credit_ledger.entries WHERE grant_id = :gv;
-- A replay returns the same block; the same key with another value: LG002.
SELECT credit_grant('v', 'usd', NULL, cost_basis => 0.25, value => 12.5,
                    idempotency_key => 'v1') = :gv AS replayed_same_block;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('v', 'usd', NULL, cost_basis => 0.25,
                                                 value => 10, idempotency_key => 'v1')$$);
-- ... and the plain amount with that key is another request too.
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('v', 'usd', 50, cost_basis => 0.25,
                                                 idempotency_key => 'v1')$$);
SELECT pg_temp.written() AS before_bad_value \gset
-- Not exact at the scale: 22023 with the nearest exact amounts in the detail.
SET client_min_messages = notice;
DO $$
BEGIN
  PERFORM credit_grant('v', 'usd', NULL, cost_basis => 3, value => 10);
EXCEPTION WHEN OTHERS THEN
  DECLARE d text; BEGIN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RAISE NOTICE '% % | %', SQLSTATE, SQLERRM, d;
  END;
END $$;
SET client_min_messages = warning;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('v', 'tok', NULL, cost_basis => 0.3, value => 1)$$) AS inexact_tok;
-- amount and value together: 22023; value without cost_basis, or neither:
-- 22004; a value not positive, a zero cost_basis: 22023.
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('v', 'usd', 5, cost_basis => 1, value => 5)$$) AS both;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('v', 'usd', NULL, value => 5)$$) AS no_cost_basis;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('v', 'usd', NULL)$$) AS neither;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('v', 'usd', NULL, cost_basis => 1, value => 0)$$) AS zero_value;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('v', 'usd', NULL, cost_basis => 0, value => 5)$$) AS zero_cost_basis;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('v', 'nope', NULL, cost_basis => 1, value => 5)$$) AS unknown_type;
-- Currency codes: three capital letters, 22023 otherwise.
SELECT pg_temp.sqlstate_of($$SELECT credit_type_create('x1', 2, currency => 'usd')$$) AS lower;
SELECT pg_temp.sqlstate_of($$SELECT credit_type_create('x2', 2, currency => 'US')$$) AS short;
SELECT pg_temp.sqlstate_of($$SELECT credit_type_create('x3', 2, currency => 'USDX')$$) AS long;
SELECT pg_temp.sqlstate_of($$SELECT credit_type_update('usd', currency => 'U$D')$$) AS update_bad;
SELECT pg_temp.sqlstate_of($$SELECT credit_type_update('usd')$$) AS update_nothing;
SELECT pg_temp.sqlstate_of($$SELECT credit_type_update('nope', currency => 'USD')$$) AS update_unknown;
SELECT pg_temp.sqlstate_of($$SELECT credit_type_update(NULL, currency => 'USD')$$) AS update_null;
SELECT pg_temp.written() = :'before_bad_value' AS nothing_written;
SELECT currency FROM credit_ledger.credit_types WHERE credit_type = 'usd';

-- credit_grant_update: a later expiry, then a priority, each an amendment
-- entry of amount 0 with the old and new values, and credits.grant.updated.
SELECT credit_grant('a', 'usd', 100, expires_at => '2026-06-01', cost_basis => 1) AS ga \gset
SELECT credit_grant('a', 'usd', 50) AS gb \gset
SELECT credit_grant_update('a', :ga, expires_at => '2026-09-01', reason => 'extended',
                           idempotency_key => 'u1');
SELECT credit_grant_update('a', :ga, priority => 10);
SELECT grant_id, priority, expires_at FROM credit_ledger.grants WHERE grant_id = :ga;
SELECT seq, entry_type, amount, value, balance_after, grant_id = :ga AS on_a, reason, metadata
  FROM credit_ledger.entries WHERE customer_id = 'a' ORDER BY seq;
SELECT event_type, payload - 'operation_id' - 'wallet_id' - 'grant_id' AS payload
  FROM credit_ledger.events WHERE event_type = 'credits.grant.updated' ORDER BY event_id;
-- A replay writes nothing; the key with other values: LG002.
SELECT pg_temp.written() AS before_replay \gset
SELECT credit_grant_update('a', :ga, expires_at => '2026-09-01', reason => 'extended',
                           idempotency_key => 'u1');
SELECT pg_temp.written() = :'before_replay' AS replay_wrote_nothing;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('a', %s, expires_at => '2026-10-01',
                                    idempotency_key => 'u1')$$, :ga)) AS other_values;
-- An earlier expiry lowers the wallet's next_due_at, so the block lapses on
-- time (whether or not the sweep runs).
SELECT next_due_at FROM credit_ledger.wallets WHERE customer_id = 'a';
SELECT credit_grant_update('a', :gb, expires_at => '2026-04-01');
SELECT next_due_at FROM credit_ledger.wallets WHERE customer_id = 'a';
SET credit_ledger.clock = '2026-04-01 00:00:01+00';
SELECT credit_balance('a', 'usd');
SELECT amount, balance FROM credit_consume('a', 'usd', 1);
SELECT seq, entry_type, amount, grant_id = :gb AS on_b, occurred_at
  FROM credit_ledger.entries WHERE customer_id = 'a' AND seq > 3 ORDER BY seq;
SELECT grant_id = :gb AS is_b, status FROM credit_ledger.grant_status WHERE customer_id = 'a' ORDER BY grant_id;
-- Blocks that cannot change: LG006 (expired, voided, depleted, canceled,
-- lapsed: the catch-up that runs first expires it); another customer's
-- block: LG004; bad values: 22023/22004.
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('a', %s, priority => 1)$$, :gb)) AS expired;
SELECT credit_grant('a', 'usd', 5) AS gvoid \gset
SELECT credit_void(:gvoid);
SELECT credit_grant('d', 'usd', 5) AS gdep \gset
SELECT amount FROM credit_consume('d', 'usd', 5);
SELECT credit_grant('p', 'usd', 5, pending => true) AS gpend \gset
SELECT credit_grant('p', 'usd', 6, pending => true) AS gcan \gset
SELECT credit_grant_cancel('p', :gcan);
SELECT credit_grant('l', 'usd', 5, expires_at => '2026-05-01') AS glapse \gset
SET credit_ledger.clock = '2026-05-01 00:00:00+00';
SELECT pg_temp.written() AS before_bad \gset
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('a', %s, priority => 1)$$, :gvoid)) AS voided;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('d', %s, priority => 1)$$, :gdep)) AS depleted;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('p', %s, priority => 1)$$, :gcan)) AS canceled;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('l', %s, priority => 1)$$, :glapse)) AS lapsed;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('b', %s, priority => 1)$$, :ga)) AS other_customer;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant_update('a', 999999, priority => 1)$$) AS unknown;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('a', %s)$$, :ga)) AS nothing;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('a', %s, priority => 10)$$, :ga)) AS same_priority;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('a', %s, expires_at => '2026-04-30')$$, :ga)) AS past;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('a', %s, expires_at => 'infinity')$$, :ga)) AS never;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('a', %s, priority => -1)$$, :ga)) AS negative;
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update(NULL, %s, priority => 1)$$, :ga)) AS null_customer;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant_update('a', NULL, priority => 1)$$) AS null_grant;
SELECT pg_temp.written() = :'before_bad' AS nothing_written;
-- A pending block may be amended: no entry (it has none yet), the event.
SELECT credit_grant_update('p', :gpend, expires_at => '2026-12-01');
SELECT count(*) AS pending_entries FROM credit_ledger.entries WHERE grant_id = :gpend;
SELECT status, expires_at FROM credit_ledger.grant_status WHERE grant_id = :gpend;
-- A scheduled block's expiry must stay after its start.
SELECT credit_grant('s', 'usd', 5, effective_at => '2026-07-01') AS gsched \gset
SELECT pg_temp.sqlstate_of(format($$SELECT credit_grant_update('s', %s, expires_at => '2026-06-01')$$, :gsched)) AS before_start;

-- Drawdown policy: the same blocks, drawn expiry_first (the default) and
-- promotional_first, by consume, hold + capture and the batch.
CREATE FUNCTION pg_temp.blocks(customer text) RETURNS void LANGUAGE sql AS $$
  SELECT credit_grant(customer, 'tok', 10, expires_at => '2026-06-01', source_id => 'paid-soon');
  SELECT credit_grant(customer, 'tok', 10, promotional => true, expires_at => '2026-09-01', source_id => 'promo-late');
  SELECT credit_grant(customer, 'tok', 10, source_id => 'paid-never');
$$;
SELECT pg_temp.blocks('e');
SELECT pg_temp.blocks('f');
SELECT credit_wallet_configure('f', 'tok', drawdown_order => 'promotional_first') > 0 AS configured;
SELECT customer_id, drawdown_order FROM credit_ledger.wallets WHERE customer_id IN ('e', 'f') ORDER BY 1;
SELECT customer_id, amount FROM credit_consume('e', 'tok', 12), (VALUES ('e')) c(customer_id);
SELECT customer_id, amount FROM credit_consume('f', 'tok', 12), (VALUES ('f')) c(customer_id);
SELECT g.customer_id, g.source_id, g.remaining
  FROM credit_ledger.grants g WHERE g.customer_id IN ('e', 'f') ORDER BY 1, g.grant_id;
-- A hold reserves in the policy's order, and its capture draws there.
SELECT hold_id AS hf FROM credit_hold('f', 'tok', 5) \gset
SELECT g.source_id, g.remaining, g.held FROM credit_ledger.grants g WHERE g.customer_id = 'f' ORDER BY g.grant_id;
SELECT amount FROM credit_capture('f', :hf);
SELECT e.amount, g.source_id FROM credit_ledger.entries e JOIN credit_ledger.grants g USING (grant_id, customer_id)
 WHERE e.customer_id = 'f' AND e.entry_type = 'usage' ORDER BY e.seq;
-- The batch draws in it too.
SELECT status, amount FROM credit_consume_batch('[{"customer_id": "f", "credit_type": "tok", "amount": 4}]');
SELECT g.source_id, g.remaining FROM credit_ledger.grants g WHERE g.customer_id = 'f' ORDER BY g.grant_id;
-- Back to expiry_first: the paid block that expires soonest is next.
SELECT credit_wallet_configure('f', 'tok') > 0 AS configured;
SELECT amount FROM credit_consume('f', 'tok', 1);
SELECT g.source_id, g.remaining FROM credit_ledger.grants g WHERE g.customer_id = 'f' ORDER BY g.grant_id;

-- Block usage alerts: credits.grant.usage_low once per block and threshold,
-- by consume, capture and batch; never again after a reversal.
SELECT credit_wallet_configure('u', 'tok', grant_usage_thresholds => '{80, 50, 100}') > 0 AS configured;
SELECT grant_usage_thresholds FROM credit_ledger.wallets WHERE customer_id = 'u';
SELECT credit_grant('u', 'tok', 10, priority => 1) AS gu1 \gset
SELECT credit_grant('u', 'tok', 20, priority => 2) AS gu2 \gset
SELECT operation_id AS c1 FROM credit_consume('u', 'tok', 4) \gset
SELECT count(*) AS alerts FROM credit_ledger.events WHERE event_type = 'credits.grant.usage_low';
SELECT operation_id AS c2 FROM credit_consume('u', 'tok', 2) \gset
SELECT hold_id AS hu FROM credit_hold('u', 'tok', 3) \gset
-- 9 of the first block's 10 used or held: a hold is no use yet.
SELECT count(*) AS alerts_after_hold FROM credit_ledger.events WHERE event_type = 'credits.grant.usage_low';
SELECT amount FROM credit_capture('u', :hu);
SELECT status FROM credit_consume_batch('[{"customer_id": "u", "credit_type": "tok", "amount": 1},
                                          {"customer_id": "u", "credit_type": "tok", "amount": 10}]');
SELECT (payload->>'grant_id')::bigint = :gu1 AS first_block, payload->>'threshold' AS threshold,
       payload->>'usage_percent' AS usage_percent, payload->>'balance' AS balance
  FROM credit_ledger.events WHERE event_type = 'credits.grant.usage_low' ORDER BY event_id;
SELECT grant_id = :gu1 AS first_block, usage_alerted FROM credit_ledger.grants
 WHERE customer_id = 'u' ORDER BY grant_id;
-- A reversal gives credit back: the first block is used less, then again
-- more; nothing fires twice.
SELECT amount FROM credit_reverse(:c2);
SELECT amount FROM credit_consume('u', 'tok', 2);
SELECT count(*) AS alerts FROM credit_ledger.events WHERE event_type = 'credits.grant.usage_low';
-- Bad policy input: 22023/22004, nothing written.
SELECT pg_temp.written() AS before_policy \gset
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('u', 'tok', drawdown_order => 'bonus_first')$$) AS unknown_order;
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('u', 'tok', drawdown_order => NULL)$$) AS null_order;
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('new', 'tok', drawdown_order => 'LIFO')$$) AS new_wallet_bad_order;
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('u', 'tok', grant_usage_thresholds => '{0}')$$) AS zero;
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('u', 'tok', grant_usage_thresholds => '{100.5}')$$) AS over_100;
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('u', 'tok', grant_usage_thresholds => '{-5}')$$) AS negative;
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('u', 'tok', grant_usage_thresholds => '{50.0000000001}')$$) AS too_fine;
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('u', 'tok', grant_usage_thresholds => '{50, NULL}')$$) AS null_element;
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('u', 'tok', grant_usage_thresholds => NULL)$$) AS null_array;
SELECT pg_temp.sqlstate_of($$SELECT credit_wallet_configure('u', 'tok', grant_usage_thresholds => '{NaN}')$$) AS nan;
SELECT pg_temp.written() = :'before_policy' AS nothing_written;
SELECT drawdown_order, grant_usage_thresholds FROM credit_ledger.wallets WHERE customer_id = 'u';

-- The block extended to September is spendable past its first expiry
-- (next_due_at stayed at June: the catch-up there found nothing due and
-- moved it on).
SET credit_ledger.clock = '2026-06-02 00:00:00+00';
SELECT amount, balance FROM credit_consume('a', 'usd', 9);
SELECT status, remaining FROM credit_ledger.grant_status WHERE grant_id = :ga;
SELECT next_due_at FROM credit_ledger.wallets WHERE customer_id = 'a';

-- Currency in credit_revenue's rows and in credits.expired.
SET credit_ledger.clock = '2026-09-02 00:00:00+00';
SELECT credit_expire();
SELECT payload->>'value' AS value, payload->>'currency' AS currency
  FROM credit_ledger.events WHERE event_type = 'credits.expired' AND customer_id = 'a';
SELECT credit_type, sold, currency FROM credit_revenue('2026-03-01', '2026-04-01');

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
