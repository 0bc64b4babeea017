\echo Use "ALTER EXTENSION credit_ledger UPDATE TO '1.2'" to load this file. \quit

# The upgrade script in development. make installs it as built by
# scripts/sqlscripts.py into build/sql/: these "# " notes are left out, and
# each "#current <name>" line becomes that object's definition in
# sql/credit_ledger.sql (CREATE OR REPLACE for a function, procedure or
# view, with its COMMENT ON), so no definition is written twice.
#   * To change a function: change it in sql/credit_ledger.sql, then add
#     "#current <name>" here (the name as written after CREATE FUNCTION
#     there) under a comment saying why.
#   * To add a function, view, type, table or index: define it in
#     sql/credit_ledger.sql, add its "#current" line here, and for a
#     function a REVOKE ALL ... FROM PUBLIC (the fresh install's revoke
#     loop does not run on an upgrade).
#   * What only an upgrade does (ALTER TABLE, filling a new column, keeping
#     existing grants) is written here in plain SQL.
# 23_upgrade walks 1.0 -> ... -> this version and compares every object,
# definition and privilege with a fresh install: a forgotten "#current"
# shows there. At the release, `make freeze NEXT=<version>` writes the built
# script over this file, which is frozen from then on (README, "SQL scripts").

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
#current credit_ledger.expire_batch
#current credit_ledger.expire_due

-- The documented name, in the extension's schema: the same sweep.
#current @extschema@.credit_expire_due

-- Roles that could run the sweep keep that right through the new routines
-- (the grants are copied at the end of this script).
REVOKE ALL ON FUNCTION credit_ledger.expire_batch(timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE credit_ledger.expire_due(integer) FROM PUBLIC;

-- A job scheduled from now on runs CALL credit_ledger.expire_due(...); a job
-- scheduled under 1.1 keeps CALL <schema>.credit_expire_due(...), which
-- still works: run credit_schedule_expiration() again to switch it.
#current @extschema@.credit_schedule_expiration

-- grant_access gives the writer set the new sweep routines.
#current credit_ledger.grant_access

-- credit_events_claim runs its picks once (a MATERIALIZED CTE): as a
-- subquery they could be re-run per event by a nested loop, and a claim of
-- max_events could hand out more (a plan made for an empty outbox, which
-- relays that poll see often, handed out 35 events to a claim of 10).
#current @extschema@.credit_events_claim

-- Scale-out on Citus: distributes the ledger on a Citus coordinator (tables,
-- customer-scoped functions, per-node id ranges); refuses where Citus is
-- absent. Only the extension's owner or a superuser runs it.
#current credit_ledger.citus_distribute
REVOKE ALL ON FUNCTION credit_ledger.citus_distribute() FROM PUBLIC;

-- Reports (issue 15): a customer's statement, usage across customers grouped
-- by feature, customer, actor, source or a metadata key, and the revenue of
-- paid credits, with the index that serves the usage report.
#current entries_usage_idx
#current entries_usage_time_idx
#current credit_ledger.statement
#current credit_ledger.usage_report_row
#current credit_ledger.revenue_row
#current credit_ledger.report_check
#current @extschema@.credit_statement
#current @extschema@.credit_usage_report
#current @extschema@.credit_revenue
REVOKE ALL ON FUNCTION credit_ledger.report_check(timestamptz, timestamptz, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_statement(text, text, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_usage_report(timestamptz, timestamptz, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_revenue(timestamptz, timestamptz, text, text, text) FROM PUBLIC;

-- credit_entries gains filters (entry_types, since, until, source_id),
-- appended so 1.1 calls keep working. A new parameter list is a new
-- function: it is created beside the 1.1 one, every role that could run the
-- 1.1 one (the reader set) gets it and the reports, then the 1.1 one goes
-- (at the end of this script).
#current @extschema@.credit_entries
REVOKE ALL ON FUNCTION @extschema@.credit_entries(text, text, bigint, integer, text[], timestamptz, timestamptz, text) FROM PUBLIC;

-- The ledger keeps up with time, holds and pending grants (issue 13).
-- Schema only here; docs/time-and-holds-glue.md explains each column.
-- wallets: next_due_at (the earliest instant anything is due; every write
-- catches up first when it has come), the sums over active holds, and
-- legacy_until (below).
ALTER TABLE credit_ledger.wallets
    ADD COLUMN next_due_at timestamptz,
    ADD COLUMN held numeric NOT NULL DEFAULT 0 CHECK (held >= 0),
    ADD COLUMN held_overdraft numeric NOT NULL DEFAULT 0 CHECK (held_overdraft >= 0),
    ADD COLUMN legacy_until timestamptz;
#current wallets_due_idx
-- grants: entered (its grant entry is written), pending, canceled_at, held;
-- open widens to "an operation may need this row".
ALTER TABLE credit_ledger.grants
    ADD COLUMN entered boolean NOT NULL DEFAULT true,
    ADD COLUMN pending boolean NOT NULL DEFAULT false,
    ADD COLUMN canceled_at timestamptz,
    ADD COLUMN held numeric NOT NULL DEFAULT 0 CHECK (held >= 0),
    DROP CONSTRAINT grants_check2,
    ADD CONSTRAINT grants_check2
        CHECK (open = CASE WHEN entered
                           THEN remaining + held > 0 AND voided_at IS NULL AND expired_at IS NULL
                           ELSE canceled_at IS NULL AND voided_at IS NULL END);
ALTER TABLE credit_ledger.operations
    DROP CONSTRAINT operations_operation_type_check,
    ADD CONSTRAINT operations_operation_type_check
        CHECK (operation_type IN ('grant', 'consume', 'adjust', 'void', 'reverse', 'expire',
                                  'hold', 'capture', 'release', 'confirm', 'cancel', 'catch_up'));
#current credit_ledger.hold_id_seq
#current credit_ledger.holds
#current holds_active_idx
#current holds_expiry_idx
REVOKE ALL ON TABLE credit_ledger.holds FROM PUBLIC;
REVOKE ALL ON SEQUENCE credit_ledger.hold_id_seq FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.holds', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.hold_id_seq', '');
-- Roles given the reader set read the new table like the others.
DO $$
DECLARE
    grantee regrole;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee::regrole
          FROM pg_catalog.pg_class c,
               LATERAL pg_catalog.aclexplode(c.relacl) a
         WHERE c.oid = 'credit_ledger.grants'::pg_catalog.regclass
           AND a.privilege_type = 'SELECT' AND a.grantee <> 0
           AND a.grantee <> c.relowner
    LOOP
        EXECUTE pg_catalog.format('GRANT SELECT ON TABLE credit_ledger.holds TO %s', grantee);
    END LOOP;
END
$$;

-- What 1.1 rows become: every 1.1 block is entered (1.1 wrote a scheduled
-- block's grant entry when it was created; entries are never rewritten),
-- not pending, holds nothing (the column defaults). next_due_at = the
-- earliest instant something is due: an open block with credit lapses, or a
-- block (entered early by 1.1) takes effect. legacy_until = the latest
-- effective_at still ahead of such a block: until then its credit is in the
-- ledger balance but cannot be spent, so the available balance is computed
-- from the blocks.
UPDATE credit_ledger.wallets w
   SET next_due_at = d.next_due_at, legacy_until = d.legacy_until
  FROM (SELECT g.wallet_id, g.customer_id,
               least(min(g.expires_at) FILTER (WHERE g.open),
                     min(g.effective_at) FILTER (WHERE g.effective_at > credit_ledger.ledger_now()))
                 AS next_due_at,
               max(g.effective_at) FILTER (WHERE g.effective_at > credit_ledger.ledger_now())
                 AS legacy_until
          FROM credit_ledger.grants g
         GROUP BY g.wallet_id, g.customer_id) d
 WHERE w.wallet_id = d.wallet_id AND w.customer_id = d.customer_id;

-- The views show pending and canceled blocks and what holds reserve.
#current credit_ledger.grant_status
#current credit_ledger.wallet_summary
#current credit_ledger.expiration_backlog

-- New parameters appended to 1.1 functions (issue 13: credit_grant's
-- pending, credit_consume's allow_partial), so 1.1 calls keep working: a
-- new parameter list is a new function, created beside the 1.1 one, which
-- goes once every role that could run it can run the new one. The new
-- functions (confirm, cancel, holds) go to the writer set: the roles that
-- could run the 1.1 credit_grant or credit_consume_batch (which only
-- grant_access gives). One block copies every grant this upgrade keeps:
-- each pair is (a 1.1 routine whose grantees are kept, a new routine they
-- get), the sweep's and the reports' sections above included; a later
-- change adds its pairs here, and the replaced 1.1 functions go after it.
#current @extschema@.credit_grant
#current @extschema@.credit_grant_confirm
#current @extschema@.credit_grant_cancel
#current @extschema@.credit_consume
#current credit_ledger.hold_result
#current @extschema@.credit_hold
#current @extschema@.credit_capture
#current @extschema@.credit_release
REVOKE ALL ON FUNCTION @extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_grant_confirm(text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_grant_cancel(text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_consume(text, text, numeric, text, text, text, timestamptz, jsonb, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_hold(text, text, numeric, interval, text, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_capture(text, bigint, numeric, text, text, text, timestamptz, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_release(text, bigint, text) FROM PUBLIC;
DO $$
DECLARE
    pair text[];
    grantee regrole;
BEGIN
    FOREACH pair SLICE 1 IN ARRAY ARRAY[
        ['@extschema@.credit_expire_due(integer)',
         'credit_ledger.expire_batch(timestamptz, integer)'],
        ['@extschema@.credit_expire_due(integer)',
         'credit_ledger.expire_due(integer)'],
        ['@extschema@.credit_entries(text, text, bigint, integer)',
         '@extschema@.credit_entries(text, text, bigint, integer, text[], timestamptz, timestamptz, text)'],
        ['@extschema@.credit_entries(text, text, bigint, integer)',
         '@extschema@.credit_statement(text, text, timestamptz, timestamptz)'],
        ['@extschema@.credit_entries(text, text, bigint, integer)',
         '@extschema@.credit_usage_report(timestamptz, timestamptz, text, text, text, text, text)'],
        ['@extschema@.credit_entries(text, text, bigint, integer)',
         '@extschema@.credit_revenue(timestamptz, timestamptz, text, text, text)'],
        ['@extschema@.credit_entries(text, text, bigint, integer)',
         'credit_ledger.report_check(timestamptz, timestamptz, text, text, text)'],
        ['@extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb)',
         '@extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb, boolean)'],
        ['@extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb)',
         '@extschema@.credit_grant_confirm(text, bigint, text)'],
        ['@extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb)',
         '@extschema@.credit_grant_cancel(text, bigint, text)'],
        ['@extschema@.credit_consume(text, text, numeric, text, text, text, timestamptz, jsonb)',
         '@extschema@.credit_consume(text, text, numeric, text, text, text, timestamptz, jsonb, boolean)'],
        ['@extschema@.credit_consume_batch(jsonb)',
         '@extschema@.credit_hold(text, text, numeric, interval, text, text, text, jsonb)'],
        ['@extschema@.credit_consume_batch(jsonb)',
         '@extschema@.credit_capture(text, bigint, numeric, text, text, text, timestamptz, jsonb)'],
        ['@extschema@.credit_consume_batch(jsonb)',
         '@extschema@.credit_release(text, bigint, text)']]
    LOOP
        FOR grantee IN
            SELECT DISTINCT a.grantee::regrole
              FROM pg_catalog.pg_proc p,
                   LATERAL pg_catalog.aclexplode(p.proacl) a
             WHERE p.oid = pair[1]::pg_catalog.regprocedure
               AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0
               AND a.grantee <> p.proowner
        LOOP
            EXECUTE pg_catalog.format('GRANT EXECUTE ON ROUTINE %s TO %s', pair[2], grantee);
        END LOOP;
    END LOOP;
END
$$;
DROP FUNCTION @extschema@.credit_entries(text, text, bigint, integer);
DROP FUNCTION @extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb);
DROP FUNCTION @extschema@.credit_consume(text, text, numeric, text, text, text, timestamptz, jsonb);

-- revenue: credit_revenue reads a summary of closed quarter-hours
-- (revenue_buckets, revenue_closed), kept by revenue_close (called by the
-- report itself) and, for entries written under credit_ledger.clock, by
-- revenue_entered; the open part is read through entries_created_idx. The
-- summary starts empty: the first report after the upgrade builds it.
#current credit_ledger.revenue_buckets
#current revenue_buckets_idx
#current credit_ledger.revenue_closed
#current revenue_closed_one_idx
#current entries_created_idx
REVOKE ALL ON TABLE credit_ledger.revenue_buckets FROM PUBLIC;
REVOKE ALL ON TABLE credit_ledger.revenue_closed FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.revenue_buckets', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.revenue_closed', '');
#current credit_ledger.revenue_sums
#current credit_ledger.revenue_close
#current credit_ledger.revenue_entered
REVOKE ALL ON FUNCTION credit_ledger.revenue_sums(timestamptz, timestamptz, bigint, text, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION credit_ledger.revenue_close() FROM PUBLIC;
REVOKE ALL ON FUNCTION credit_ledger.revenue_entered(bigint, text, bigint, bigint, timestamptz) FROM PUBLIC;
-- A role that can run credit_revenue (the reader set, given above) reads
-- the summary and runs the two functions it calls.
DO $$
DECLARE
    grantee regrole;
BEGIN
    FOR grantee IN
        SELECT DISTINCT a.grantee::regrole
          FROM pg_catalog.pg_proc p,
               LATERAL pg_catalog.aclexplode(p.proacl) a
         WHERE p.oid = 'credit_ledger.report_check(timestamptz, timestamptz, text, text, text)'::pg_catalog.regprocedure
           AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0
           AND a.grantee <> p.proowner
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON ROUTINE credit_ledger.revenue_close() TO %s', grantee);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON ROUTINE credit_ledger.revenue_sums(timestamptz, timestamptz, bigint, text, bigint, bigint) TO %s', grantee);
        EXECUTE pg_catalog.format('GRANT SELECT ON TABLE credit_ledger.revenue_buckets, credit_ledger.revenue_closed TO %s', grantee);
    END LOOP;
END
$$;
