\echo Use "ALTER EXTENSION credit_ledger UPDATE TO '1.2'" to load this file. \quit

-- credit_ledger 1.1 -> 1.2. Each change below says why; sql/credit_ledger.sql
-- holds the same definitions for a fresh install, and 23_upgrade checks that
-- an upgraded installation has exactly a fresh one's objects.

-- credit_events_claim runs its picks once (a MATERIALIZED CTE): as a
-- subquery they could be re-run per event by a nested loop, and a claim of
-- max_events could hand out more (a plan made for an empty outbox, which
-- relays that poll see often, handed out 35 events to a claim of 10).
-- Hands out up to max_events events nobody holds, oldest first, to consumer,
-- for lease: concurrent relays never get the same event while a lease runs
-- (FOR UPDATE SKIP LOCKED); an event not acknowledged in time is handed out
-- again (attempts counts the hand-outs), so delivery is at least once and
-- receivers deduplicate by event_id.
CREATE OR REPLACE FUNCTION @extschema@.credit_events_claim(
    max_events integer,
    consumer text,
    lease interval DEFAULT '30 seconds')
RETURNS SETOF credit_ledger.events
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, credit_ledger, pg_temp
AS $$
BEGIN
    IF max_events IS NULL OR consumer IS NULL OR lease IS NULL THEN
        RAISE EXCEPTION 'max_events, consumer and lease must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    IF max_events < 1 OR max_events > 10000 THEN
        RAISE EXCEPTION 'max_events must be between 1 and 10000' USING ERRCODE = '22023';
    END IF;
    IF lease <= interval '0' OR lease > interval '1 day' THEN
        RAISE EXCEPTION 'lease must be positive and at most one day' USING ERRCODE = '22023';
    END IF;
    IF consumer = '' THEN
        RAISE EXCEPTION 'consumer must not be empty' USING ERRCODE = '22023';
    END IF;
    -- The picks are a MATERIALIZED CTE so that they run once: as a subquery
    -- they could be the inner side of a nested loop, re-run for every
    -- event, each re-run skipping the rows already claimed and taking the
    -- next max_events.
    RETURN QUERY
    WITH picked AS MATERIALIZED (
        SELECT p.event_id, p.customer_id FROM credit_ledger.events p
         WHERE p.processed_at IS NULL AND p.failed_at IS NULL
           AND (p.claimed_until IS NULL OR p.claimed_until < clock_timestamp())
         ORDER BY p.event_id
         LIMIT max_events
           FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE credit_ledger.events e
           SET claimed_by = consumer,
               claimed_until = clock_timestamp() + lease,
               attempts = e.attempts + 1
          FROM picked
         WHERE e.event_id = picked.event_id AND e.customer_id = picked.customer_id
        RETURNING e.*)
    SELECT * FROM claimed ORDER BY event_id;
END
$$;
