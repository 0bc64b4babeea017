-- Event delivery through the coordinator: a relay claims the events of
-- every worker's shards, hands some back, gives up on one, and acknowledges
-- the rest; two relays never hold the same event. (On one node the claim
-- uses FOR UPDATE SKIP LOCKED, which Citus refuses across shards: on a
-- cluster the picks are read without locks and the UPDATE checks again
-- under each row's lock.)
\set VERBOSITY terse
-- Start from an empty outbox: everything earlier topics wrote is delivered.
SELECT credit_events_ack(ARRAY(SELECT event_id FROM credit_ledger.events)) >= 0 AS cleared;
SELECT count(*) AS pending FROM credit_ledger.events WHERE processed_at IS NULL;
-- New events on both workers: grants to customers on group 1 and group 2.
SELECT c AS customer, p.groupid
  FROM unnest(ARRAY['ida', 'jack', 'erin', 'frank']) c
  JOIN pg_dist_placement p
    ON p.shardid = get_shard_id_for_distribution_column('credit_ledger.wallets', c)
 ORDER BY c;
SELECT g > 0 AS granted FROM credit_grant('ida', 'usd', 1) g;
SELECT g > 0 AS granted FROM credit_grant('jack', 'usd', 1) g;
SELECT g > 0 AS granted FROM credit_grant('erin', 'usd', 1) g;
SELECT g > 0 AS granted FROM credit_grant('frank', 'usd', 1) g;
SELECT p.groupid, count(*) AS pending
  FROM credit_ledger.events e
  JOIN pg_dist_placement p
    ON p.shardid = get_shard_id_for_distribution_column('credit_ledger.wallets', e.customer_id)
 WHERE e.processed_at IS NULL
 GROUP BY p.groupid ORDER BY p.groupid;

-- Relay a claims 3 of the 4, oldest first (ids from different workers'
-- ranges: ordered by id); relay b gets the one left, and a third claim
-- nothing: no event is held twice.
CREATE TEMP TABLE claimed_a AS SELECT * FROM credit_events_claim(3, 'relay-a');
CREATE TEMP TABLE claimed_b AS SELECT * FROM credit_events_claim(10, 'relay-b');
SELECT 'a' AS relay, customer_id, event_type, attempts FROM claimed_a
UNION ALL
SELECT 'b', customer_id, event_type, attempts FROM claimed_b
 ORDER BY 1, 2;
SELECT count(*) AS claimed_by_both
  FROM claimed_a a JOIN claimed_b b USING (event_id);
SELECT count(*) AS third_claim FROM credit_events_claim(10, 'relay-c');
-- Ids are in claim order, across workers.
SELECT array_agg(event_id ORDER BY event_id) = array_agg(event_id) AS oldest_first
  FROM claimed_a;

-- Relay a hands one back (any relay may claim it at once) and gives up on
-- another (a dead letter); relay b cannot hand back a's events.
SELECT credit_events_release(ARRAY(SELECT event_id FROM claimed_a WHERE customer_id = 'ida'),
                             'relay-b') AS released_by_b;
SELECT credit_events_release(ARRAY(SELECT event_id FROM claimed_a WHERE customer_id = 'ida'),
                             'relay-a') AS released;
SELECT credit_events_fail(ARRAY(SELECT event_id FROM claimed_a WHERE customer_id = 'jack'),
                          'relay-a', 'receiver said 500') AS failed;
SELECT customer_id, attempts FROM credit_events_claim(10, 'relay-c');
-- Acknowledged, on their workers' shards; a second ack counts nothing.
CREATE TEMP TABLE delivered AS
SELECT event_id FROM credit_ledger.events WHERE processed_at IS NULL AND failed_at IS NULL;
SELECT credit_events_ack(ARRAY(SELECT event_id FROM delivered)) AS acked;
SELECT credit_events_ack(ARRAY(SELECT event_id FROM delivered)) AS acked_again;
SELECT customer_id, processed_at IS NOT NULL AS processed, failed_at IS NOT NULL AS failed,
       last_error
  FROM credit_ledger.events
 WHERE event_id IN (SELECT event_id FROM claimed_a UNION ALL SELECT event_id FROM claimed_b)
 ORDER BY customer_id;
-- The dead letter is handed out again after a retry, then acknowledged.
SELECT credit_events_retry(ARRAY(SELECT event_id FROM credit_ledger.events
                                  WHERE failed_at IS NOT NULL)) AS retried;
SELECT customer_id, attempts FROM credit_events_claim(10, 'relay-a');
SELECT credit_events_ack(ARRAY(SELECT event_id FROM credit_ledger.events
                                WHERE processed_at IS NULL)) AS acked;
-- Pruning deletes delivered events on every worker.
SELECT credit_events_prune(interval '0') > 0 AS pruned;
SELECT count(*) AS events_left FROM credit_ledger.events;
-- Delegation still works in this session.
SELECT amount, balance FROM credit_consume('ida', 'usd', 1);
SELECT * FROM credit_verify();
