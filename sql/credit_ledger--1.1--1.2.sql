\echo Use "ALTER EXTENSION credit_ledger UPDATE TO '1.2'" to load this file. \quit

-- credit_ledger 1.1 -> 1.2. Each change below says why; sql/credit_ledger.sql
-- holds the same definitions for a fresh install, and 23_upgrade checks that
-- an upgraded installation has exactly a fresh one's objects.

-- The sweep procedure no longer calls into the extension's schema: in 1.1
-- credit_expire_due called credit_expire(NULL, batch_size), and the untyped
-- NULL let an overload such as credit_expire(text, integer), planted by any
-- role with CREATE on that schema, run with the rights of whoever ran the
-- sweep (pg_cron's superuser). The loop now lives in credit_ledger.expire_due
-- and calls credit_ledger.expire_batch with exact types; credit_expire_due
-- delegates to it, and the pg_cron job calls it directly.
CREATE FUNCTION credit_ledger.expire_batch(as_of timestamptz, max_grants integer)
RETURNS integer
    AS 'MODULE_PATHNAME', 'credit_expire'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;
COMMENT ON FUNCTION credit_ledger.expire_batch(timestamptz, integer) IS
    'credit_expire for the sweep procedure, in the schema only the extension owns';

CREATE PROCEDURE credit_ledger.expire_due(batch_size pg_catalog.int4 DEFAULT 500)
LANGUAGE plpgsql
AS $$
DECLARE
    expired pg_catalog.int4;
BEGIN
    IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = '22023';
    END IF;
    LOOP
        expired := credit_ledger.expire_batch(NULL::pg_catalog.timestamptz, batch_size);
        COMMIT;
        EXIT WHEN expired OPERATOR(pg_catalog.<) batch_size;
    END LOOP;
END
$$;

-- The documented name, in the extension's schema: the same sweep.
CREATE OR REPLACE PROCEDURE @extschema@.credit_expire_due(batch_size pg_catalog.int4 DEFAULT 500)
LANGUAGE plpgsql
AS $$
BEGIN
    CALL credit_ledger.expire_due(batch_size);
END
$$;

-- Roles that could run the sweep keep that right through the new routines.
REVOKE ALL ON FUNCTION credit_ledger.expire_batch(timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE credit_ledger.expire_due(integer) FROM PUBLIC;
DO $$
DECLARE
    grantee regrole;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee::regrole
          FROM pg_catalog.pg_proc p,
               LATERAL pg_catalog.aclexplode(p.proacl) a
         WHERE p.oid = '@extschema@.credit_expire_due(integer)'::pg_catalog.regprocedure
           AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0
           AND a.grantee <> p.proowner
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION credit_ledger.expire_batch(timestamptz, integer) TO %s', grantee);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON PROCEDURE credit_ledger.expire_due(integer) TO %s', grantee);
    END LOOP;
END
$$;

-- A job scheduled from now on runs CALL credit_ledger.expire_due(...); a job
-- scheduled under 1.1 keeps CALL <schema>.credit_expire_due(...), which
-- still works: run credit_schedule_expiration() again to switch it.
CREATE OR REPLACE FUNCTION @extschema@.credit_schedule_expiration(
    schedule text DEFAULT '* * * * *',
    batch_size integer DEFAULT 500)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
BEGIN
    IF schedule IS NULL OR batch_size IS NULL THEN
        RAISE EXCEPTION 'schedule and batch_size must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = '55000',
                  DETAIL = 'The expiration sweep is scheduled with pg_cron.',
                  HINT = format('Add pg_cron to shared_preload_libraries and run CREATE EXTENSION pg_cron; if pg_cron lives in another database, run there: SELECT cron.schedule_in_database(''credit_ledger_expire'', %L, %L, %L);',
                                schedule,
                                format('CALL credit_ledger.expire_due(%s)', batch_size),
                                current_database());
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)'
       INTO job
      USING 'credit_ledger_expire', schedule,
            format('CALL credit_ledger.expire_due(%s)', batch_size);
    RETURN job;
END
$$;

-- grant_access gives the writer set the new sweep routines.
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
                            'credit_expire', 'credit_expire_due', 'expire_due',
                            'expire_batch', 'credit_void',
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
