-- Events: each type fires exactly when it should, in the transaction of the
-- change (a rollback leaves none); thresholds fire once per crossing and
-- re-arm when the balance is lifted again; relays claim, acknowledge and
-- prune.
\i test/sql/include/setup.sql
SELECT credit_type_create('usd', 2);
CREATE VIEW ev AS
SELECT event_id, event_type, customer_id, payload->>'grant_id' AS grant_id,
       payload->>'amount' AS amount, payload->>'threshold' AS threshold,
       payload->>'balance' AS balance
  FROM credit_ledger.events ORDER BY event_id;

-- credits.granted, with the block's terms.
SELECT credit_wallet_configure('c', 'usd', overdraft_limit => 20,
                               low_balance_thresholds => '{50, 20, 80}');
SELECT credit_grant('c', 'usd', 100, cost_basis => 0.5, source_id => 'inv-1');
SELECT jsonb_pretty(payload) FROM credit_ledger.events;

-- 100 -> 70 crosses 80: one usage_low. 70 -> 60 crosses nothing.
SELECT amount FROM credit_consume('c', 'usd', 30);
SELECT amount FROM credit_consume('c', 'usd', 10);
-- 60 -> 10 crosses 50 and 20 at once.
SELECT amount FROM credit_consume('c', 'usd', 50);
-- 10 -> 0: the grant is used up (grant.depleted) and so is the balance.
SELECT amount FROM credit_consume('c', 'usd', 10);
-- Into debt: no second depleted event.
SELECT amount FROM credit_consume('c', 'usd', 5);
SELECT * FROM ev;

-- A grant lifts the balance to 55 (after repaying 5): 50 and 20 re-armed,
-- depletion re-armed; dropping below 50 again fires again.
SELECT credit_grant('c', 'usd', 60);
SELECT amount FROM credit_consume('c', 'usd', 6);
SELECT * FROM ev WHERE event_id >= 7;
SELECT low_balance_alerted, depleted_alerted FROM credit_ledger.wallets;

-- A rolled-back change leaves no event (and no notification: see the
-- isolation spec events_notify).
BEGIN;
SELECT amount FROM credit_consume('c', 'usd', 40);
SELECT count(*) AS events_inside FROM credit_ledger.events;
ROLLBACK;
SELECT count(*) AS events_after FROM credit_ledger.events;

-- credits.voided and credits.expired; a lapse crossing a threshold fires at
-- the sweep, which is the next operation on the wallet.
SELECT credit_grant('c', 'usd', 100, expires_at => '2026-03-05', promotional => true, cost_basis => 0.5) AS expiring \gset
SELECT credit_grant('c', 'usd', 7) AS to_void \gset
SELECT credit_void(:to_void, 'refund');
SET credit_ledger.clock = '2026-03-06 00:00+00';
SELECT credit_expire();
SELECT event_type, payload->>'amount' AS amount, payload->>'value' AS value,
       payload->>'promotional' AS promotional, payload->>'expires_at' AS expires_at,
       payload->>'reason' AS reason, payload->>'threshold' AS threshold,
       payload->>'balance' AS balance
  FROM credit_ledger.events WHERE event_id > 10 ORDER BY event_id;

-- Configuring thresholds the balance is already below does not fire.
SELECT credit_wallet_configure('c', 'usd', 20, '{1000}');
SELECT amount FROM credit_consume('c', 'usd', 1);
SELECT count(*) FILTER (WHERE payload->>'threshold' = '1000.00') AS fired_for_1000
  FROM credit_ledger.events;

-- Delivery: two relays never get the same event while a lease runs; what
-- is not acknowledged comes back when the lease runs out.
SELECT count(*) AS pending FROM credit_ledger.events WHERE processed_at IS NULL;
SELECT array_agg(event_id) AS relay_a FROM credit_events_claim(5, 'relay-a') \gset
SELECT array_agg(event_id) AS relay_b FROM credit_events_claim(5, 'relay-b') \gset
SELECT :'relay_a'::bigint[] && :'relay_b'::bigint[] AS overlap,
       cardinality(:'relay_a'::bigint[]) AS a, cardinality(:'relay_b'::bigint[]) AS b;
SELECT credit_events_ack(:'relay_a');
SELECT credit_events_ack(:'relay_a');
-- relay-c takes the rest with a short lease and never acknowledges them.
SELECT count(*) AS left_for_c FROM credit_events_claim(100, 'relay-c', lease => '500 milliseconds');
SELECT count(*) AS nothing_while_leased FROM credit_events_claim(100, 'relay-d');
SELECT pg_sleep(0.6);
SELECT count(*) AS back_after_lease, min(attempts) AS attempts
  FROM credit_events_claim(100, 'relay-d');
SELECT credit_events_ack(array_agg(event_id)) FROM credit_ledger.events;
SELECT count(*) AS pending FROM credit_ledger.events WHERE processed_at IS NULL;
SELECT credit_events_prune('1 hour') AS pruned_recent, credit_events_prune('0') AS pruned_all;
SELECT count(*) FROM credit_ledger.events;

-- Handing back and giving up, only by the relay that holds the events.
SELECT credit_grant('relay', 'usd', 1) AS r1 \gset
SELECT credit_grant('relay', 'usd', 2) AS r2 \gset
SELECT array_agg(event_id ORDER BY event_id) AS held FROM credit_events_claim(100, 'relay-e') \gset
SELECT cardinality(:'held'::bigint[]) AS held_by_e;
SELECT credit_events_release(:'held', 'relay-f') AS released_by_another,
       credit_events_fail(:'held', 'relay-f', 'not mine') AS failed_by_another;
SELECT count(*) AS nothing_for_f FROM credit_events_claim(100, 'relay-f');
-- relay-e hands the first back: it can be claimed at once.
SELECT credit_events_release((:'held'::bigint[])[1:1], 'relay-e') AS released;
SELECT count(*) AS claimed_by_f FROM credit_events_claim(100, 'relay-f');
-- relay-e gives up on the second; it is no longer handed out.
SELECT credit_events_fail((:'held'::bigint[])[2:2], 'relay-e', repeat('x', 2000)) AS failed;
SELECT attempts, failed_at IS NOT NULL AS dead, length(last_error) AS error_chars,
       claimed_until IS NULL AS unclaimed
  FROM credit_ledger.events WHERE event_id = (:'held'::bigint[])[2];
SELECT credit_events_fail((:'held'::bigint[])[2:2], 'relay-e', 'twice') AS failed_twice,
       credit_events_release((:'held'::bigint[])[2:2], 'relay-e') AS released_dead;
-- A lease that ran out is no longer the relay's to hand back or give up.
SELECT credit_events_release((:'held'::bigint[])[1:1], 'relay-f') AS released_by_f;
SELECT count(*) AS short_lease FROM credit_events_claim(100, 'relay-g', '100 milliseconds');
SELECT pg_sleep(0.2);
SELECT credit_events_release((:'held'::bigint[])[1:1], 'relay-g') AS released_late,
       credit_events_fail((:'held'::bigint[])[1:1], 'relay-g', 'late') AS failed_late;
-- Retry hands the dead letter out again, its count of hand-outs reset.
SELECT credit_events_retry((:'held'::bigint[])[2:2]) AS retried;
SELECT event_id = (:'held'::bigint[])[2] AS the_dead_letter, attempts
  FROM credit_events_claim(100, 'relay-h') WHERE event_id = (:'held'::bigint[])[2];
SELECT credit_events_ack(:'held');
SELECT credit_events_retry(:'held') AS retried_delivered;

-- A claim never hands out more than max_events, whatever plan the claim's
-- query gets. A relay polls an outbox that is often empty: a plan made for
-- an empty table joined the events to the locked picks in a nested loop
-- that re-ran the picks for every event, and since a re-run skips the rows
-- the statement has already claimed, each re-run took the next max_events
-- (a claim of 10 handed out all 35).
SELECT credit_events_ack(array_agg(event_id)) >= 0 AS acked FROM credit_ledger.events;
SELECT credit_events_prune('0') >= 0 AS pruned;
VACUUM ANALYZE credit_ledger.events;
SET plan_cache_mode = force_generic_plan;
SELECT count(*) AS claimed_from_empty FROM credit_events_claim(10, 'relay-plan');
SELECT count(*) AS granted FROM (SELECT credit_grant('plan', 'usd', 1)
                                   FROM generate_series(1, 35)) g;
SELECT count(*) AS claimed FROM credit_events_claim(10, 'relay-plan');
SELECT count(*) AS claimed_next FROM credit_events_claim(10, 'relay-plan');
RESET plan_cache_mode;
SELECT credit_events_ack(array_agg(event_id)) AS acked FROM credit_ledger.events;

-- Bad input.
SELECT * FROM credit_events_claim(0, 'x');
SELECT * FROM credit_events_claim(1, NULL);
SELECT * FROM credit_events_claim(1, 'x', '-1 second');
SELECT credit_events_ack(NULL);
SELECT credit_events_prune('-1 day');
SELECT credit_events_release(ARRAY[1]::bigint[], NULL);
SELECT credit_events_fail(ARRAY[1]::bigint[], 'x', NULL);
SELECT credit_events_retry(NULL);

DROP VIEW ev;
SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
