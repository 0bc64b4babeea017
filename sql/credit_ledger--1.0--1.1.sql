\echo Use "ALTER EXTENSION credit_ledger UPDATE TO '1.1'" to load this file. \quit

-- credit_ledger 1.0 -> 1.1: batch consumption (credit_consume_batch); for
-- event relays, handing claims back, giving up on undeliverable events, and
-- a lease of at most one day; and wallets.latest_effective_at, which lets a
-- grant or a balance skip reading a wallet's active blocks.

-- The latest effective_at of any block each wallet had. Until this update the
-- 1.1 library ran on the 1.0 schema without it, so it is computed here from
-- every block; a wallet without blocks keeps NULL.
ALTER TABLE credit_ledger.wallets ADD COLUMN latest_effective_at timestamptz;
UPDATE credit_ledger.wallets w
   SET latest_effective_at = g.latest
  FROM (SELECT wallet_id, customer_id, max(effective_at) AS latest
          FROM credit_ledger.grants GROUP BY wallet_id, customer_id) g
 WHERE g.wallet_id = w.wallet_id AND g.customer_id = w.customer_id;

ALTER TABLE credit_ledger.events
    ADD COLUMN failed_at  timestamptz,
    ADD COLUMN last_error text;

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
    RETURN QUERY
    WITH claimed AS (
        UPDATE credit_ledger.events e
           SET claimed_by = consumer,
               claimed_until = clock_timestamp() + lease,
               attempts = e.attempts + 1
          FROM (SELECT p.event_id, p.customer_id FROM credit_ledger.events p
                 WHERE p.processed_at IS NULL AND p.failed_at IS NULL
                   AND (p.claimed_until IS NULL OR p.claimed_until < clock_timestamp())
                 ORDER BY p.event_id
                 LIMIT max_events
                   FOR UPDATE SKIP LOCKED) picked
         WHERE e.event_id = picked.event_id AND e.customer_id = picked.customer_id
        RETURNING e.*)
    SELECT * FROM claimed ORDER BY event_id;
END
$$;

-- Batch consumption.

-- One row per event of credit_consume_batch, in the order given: applied,
-- replayed (its idempotency key was seen before), insufficient (LG001), or
-- error with the SQLSTATE and message credit_consume would have raised.
CREATE TYPE credit_ledger.batch_result AS (
    ordinal      integer,
    status       text,
    operation_id bigint,
    amount       numeric,
    balance      numeric,
    sqlstate     text,
    message      text
);

-- Applies a JSON array of usage events - objects with customer_id,
-- credit_type, amount and optionally idempotency_key, feature, source_id,
-- occurred_at and metadata - each with exactly credit_consume's semantics.
CREATE FUNCTION @extschema@.credit_consume_batch(events jsonb)
RETURNS SETOF credit_ledger.batch_result
    AS 'MODULE_PATHNAME', 'credit_consume_batch'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;


-- Handing events back, and giving up on them.

-- Ends `consumer`'s lease on events it could not deliver now (the endpoint
-- is down, the relay is stopping), so any relay can claim them at once.
-- Only events that consumer still holds are touched: a relay whose lease ran
-- out cannot hand back an event another relay is delivering.
CREATE FUNCTION @extschema@.credit_events_release(event_ids bigint[], consumer text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, credit_ledger, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF event_ids IS NULL OR consumer IS NULL THEN
        RAISE EXCEPTION 'event_ids and consumer must not be NULL' USING ERRCODE = '22004';
    END IF;
    UPDATE credit_ledger.events SET claimed_until = NULL
     WHERE event_id = ANY (event_ids) AND claimed_by = consumer
       AND claimed_until > clock_timestamp()
       AND processed_at IS NULL AND failed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- Gives up on events a receiver keeps rejecting: they are no longer handed
-- out, and keep the error for people to look at (the dead letters:
-- failed_at IS NOT NULL). Like a release, only for events `consumer` still
-- holds. credit_events_retry hands them out again.
CREATE FUNCTION @extschema@.credit_events_fail(event_ids bigint[], consumer text, error text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, credit_ledger, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF event_ids IS NULL OR consumer IS NULL OR error IS NULL THEN
        RAISE EXCEPTION 'event_ids, consumer and error must not be NULL' USING ERRCODE = '22004';
    END IF;
    UPDATE credit_ledger.events
       SET failed_at = clock_timestamp(), last_error = left(error, 1000),
           claimed_until = NULL
     WHERE event_id = ANY (event_ids) AND claimed_by = consumer
       AND claimed_until > clock_timestamp()
       AND processed_at IS NULL AND failed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- Hands dead letters out again (the receiver was fixed), as if new:
-- attempts starts again from zero, so a relay's give-up count applies anew.
CREATE FUNCTION @extschema@.credit_events_retry(event_ids bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, credit_ledger, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF event_ids IS NULL THEN
        RAISE EXCEPTION 'event_ids must not be NULL' USING ERRCODE = '22004';
    END IF;
    UPDATE credit_ledger.events SET failed_at = NULL, last_error = NULL, attempts = 0
     WHERE event_id = ANY (event_ids) AND failed_at IS NOT NULL AND processed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- The new functions are closed to PUBLIC like the rest.
REVOKE ALL ON FUNCTION @extschema@.credit_consume_batch(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_events_release(bigint[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_events_fail(bigint[], text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_events_retry(bigint[]) FROM PUBLIC;

-- grant_access learns the new writer functions.
CREATE OR REPLACE FUNCTION credit_ledger.grant_access(role regrole, writer boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    readers text[] := ARRAY['credit_balance', 'credit_entries', 'credit_usage',
                            'credit_verify', 'ledger_now'];
    writers text[] := ARRAY['credit_type_create', 'credit_wallet_configure',
                            'credit_grant', 'credit_consume', 'credit_consume_batch',
                            'credit_expire', 'credit_expire_due', 'credit_void',
                            'credit_adjust', 'credit_reverse',
                            'credit_schedule_expiration', 'credit_unschedule_expiration',
                            'credit_events_claim', 'credit_events_ack',
                            'credit_events_prune', 'credit_events_release',
                            'credit_events_fail', 'credit_events_retry'];
    routine regprocedure;
BEGIN
    IF role IS NULL OR writer IS NULL THEN
        RAISE EXCEPTION 'role and writer must not be NULL' USING ERRCODE = '22004';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA credit_ledger TO %s', role);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA credit_ledger TO %s', role);
    FOR routine IN
        SELECT p.oid::regprocedure
          FROM pg_proc p
          JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                          AND d.deptype = 'e'
          JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
         WHERE p.proname = ANY (readers)
            OR (writer AND p.proname = ANY (writers))
    LOOP
        EXECUTE format('GRANT EXECUTE ON ROUTINE %s TO %s', routine, role);
    END LOOP;
END
$$;
