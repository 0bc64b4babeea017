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
#   * What only an upgrade does (ALTER TABLE, filling a new column) is
#     written here in plain SQL, but a change to a table Citus may manage
#     (every table an earlier version created: ALTER TABLE, CREATE INDEX
#     on it, UPDATE) goes through credit_ledger.upgrade_table (below), one
#     subcommand per ALTER TABLE, every constraint named as PostgreSQL
#     names it in a fresh install. test/citus/sql/06_upgrade.sql runs the
#     update on a distributed ledger.
#   * To keep existing grants on a new object (the roles that could run the
#     routine it replaces or joins), add a pair to the one list at the end
#     of this script; a replaced function is dropped after that list.
# 23_upgrade walks 1.0 -> ... -> this version and compares every object,
# definition and privilege with a fresh install: a forgotten "#current"
# shows there. At the release, `make freeze NEXT=<version>` writes the built
# script over this file, which is frozen from then on (README, "SQL scripts").

-- credit_ledger 1.1 -> 1.2. Each change below says why; sql/credit_ledger.sql
-- holds the same definitions for a fresh install, and 23_upgrade checks that
-- an upgraded installation has exactly a fresh one's objects.

-- Tables Citus manages. On a Citus cluster, ALTER EXTENSION ... UPDATE runs
-- this script on the coordinator, then Citus runs it on every worker. A
-- change to a table Citus manages (distributed or reference) must be made
-- once, on the coordinator, and Citus passes it on to the table's shards
-- and to every node's copy of the table. So each such change (ALTER TABLE,
-- CREATE INDEX, UPDATE) goes through upgrade_table: it runs the statements
-- with EXECUTE, so that the text Citus passes on is that statement alone
-- (as a statement of this script its text is the whole script, which a
-- worker refuses: "cannot insert multiple commands into a prepared
-- statement"), and does nothing on a worker where Citus manages the table.
-- Citus also wants one subcommand per ALTER TABLE and every constraint
-- named (as PostgreSQL names it in a fresh install). Anywhere else (one
-- server; a table Citus does not manage, such as one this script creates)
-- the statements simply run. Dropped at the end of this script.
CREATE FUNCTION credit_ledger.upgrade_table(tbl regclass, VARIADIC statements text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    statement text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        IF EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = tbl)
           AND (SELECT groupid FROM pg_dist_local_group) <> 0 THEN
            RETURN;
        END IF;
    END IF;
    FOREACH statement IN ARRAY statements LOOP
        EXECUTE statement;
    END LOOP;
END
$$;

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
-- paid credits, with the indexes that serve them (entries_time_idx also
-- finds lean's standalone entries by operation_id, below).
SELECT credit_ledger.upgrade_table('credit_ledger.entries', $ddl$
#current entries_usage_idx
$ddl$);
SELECT credit_ledger.upgrade_table('credit_ledger.entries', $ddl$
#current entries_time_idx
$ddl$);
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
SELECT credit_ledger.upgrade_table('credit_ledger.wallets',
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN next_due_at timestamptz$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN held numeric NOT NULL DEFAULT 0$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD CONSTRAINT wallets_held_check CHECK (held >= 0)$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN held_overdraft numeric NOT NULL DEFAULT 0$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD CONSTRAINT wallets_held_overdraft_check CHECK (held_overdraft >= 0)$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN legacy_until timestamptz$ddl$);
SELECT credit_ledger.upgrade_table('credit_ledger.wallets', $ddl$
#current wallets_due_idx
$ddl$);
-- grants: entered (its grant entry is written), pending, canceled_at, held;
-- open widens to "an operation may need this row".
SELECT credit_ledger.upgrade_table('credit_ledger.grants',
    $ddl$ALTER TABLE credit_ledger.grants ADD COLUMN entered boolean NOT NULL DEFAULT true$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD COLUMN pending boolean NOT NULL DEFAULT false$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD COLUMN canceled_at timestamptz$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD COLUMN held numeric NOT NULL DEFAULT 0$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD CONSTRAINT grants_held_check CHECK (held >= 0)$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants DROP CONSTRAINT grants_check2$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD CONSTRAINT grants_check2
        CHECK (open = CASE WHEN entered
                           THEN remaining + held > 0 AND voided_at IS NULL AND expired_at IS NULL
                           ELSE canceled_at IS NULL AND voided_at IS NULL END)$ddl$);
#current credit_ledger.hold_id_seq
#current credit_ledger.holds
#current holds_active_idx
#current holds_expiry_idx
REVOKE ALL ON TABLE credit_ledger.holds FROM PUBLIC;
REVOKE ALL ON SEQUENCE credit_ledger.hold_id_seq FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.holds', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.hold_id_seq', '');

-- What 1.1 rows become: every 1.1 block is entered (1.1 wrote a scheduled
-- block's grant entry when it was created; entries are never rewritten),
-- not pending, holds nothing (the column defaults). next_due_at = the
-- earliest instant something is due: an open block with credit lapses, or a
-- block (entered early by 1.1) takes effect. legacy_until = the latest
-- effective_at still ahead of such a block: until then its credit is in the
-- ledger balance but cannot be spent, so the available balance is computed
-- from the blocks.
-- (The ledger's now is passed in as a value: it is taken once, on the
-- coordinator, for every shard.)
SELECT credit_ledger.upgrade_table('credit_ledger.wallets', pg_catalog.format($ddl$
UPDATE credit_ledger.wallets w
   SET next_due_at = d.next_due_at, legacy_until = d.legacy_until
  FROM (SELECT g.wallet_id, g.customer_id,
               least(min(g.expires_at) FILTER (WHERE g.open),
                     min(g.effective_at) FILTER (WHERE g.effective_at > %1$L::timestamptz))
                 AS next_due_at,
               max(g.effective_at) FILTER (WHERE g.effective_at > %1$L::timestamptz)
                 AS legacy_until
          FROM credit_ledger.grants g
         GROUP BY g.wallet_id, g.customer_id) d
 WHERE w.wallet_id = d.wallet_id AND w.customer_id = d.customer_id$ddl$,
    credit_ledger.ledger_now()));

-- The views read each wallet as caught up to now through the core that the
-- writes run (caught_up_block, caught_up_wallet), so a view, credit_balance
-- and the next write cannot disagree. Roles that can run ledger_now (the
-- reader set, which the views need) get them (the grants are copied at
-- the end of this script).
#current credit_ledger.block_state
#current credit_ledger.wallet_state
#current credit_ledger.caught_up_block
#current credit_ledger.caught_up_wallet
REVOKE ALL ON FUNCTION credit_ledger.caught_up_block(text, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION credit_ledger.caught_up_wallet(text, text) FROM PUBLIC;

-- The views show pending and canceled blocks and what holds reserve.
# grant_status is re-created at the end (amend), once credit_types has
# the currency it shows.
#current credit_ledger.wallet_summary
#current credit_ledger.expiration_backlog

-- New parameters appended to 1.1 functions (issue 13: credit_grant's
-- pending, credit_consume's allow_partial; issue 14: credit_grant's value),
-- so 1.1 calls keep working: a
-- new parameter list is a new function, created beside the 1.1 one, which
-- goes once every role that could run it can run the new one. The new
-- functions (confirm, cancel, holds) go to the writer set: the roles that
-- could run the 1.1 credit_grant or credit_consume_batch (which only
-- grant_access gives). The grants are copied, and the 1.1 functions
-- dropped, at the end of this script.
#current @extschema@.credit_grant
#current @extschema@.credit_grant_confirm
#current @extschema@.credit_grant_cancel
#current @extschema@.credit_consume
#current credit_ledger.hold_result
#current @extschema@.credit_hold
#current @extschema@.credit_capture
#current @extschema@.credit_release
REVOKE ALL ON FUNCTION @extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb, boolean, numeric) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_grant_confirm(text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_grant_cancel(text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_consume(text, text, numeric, text, text, text, timestamptz, jsonb, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_hold(text, text, numeric, interval, text, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_capture(text, bigint, numeric, text, text, text, timestamptz, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_release(text, bigint, text) FROM PUBLIC;
-- The customer-scoped credit_void(customer_id, grant_id, reason) and
-- credit_reverse(customer_id, operation_id, amount, reason,
-- idempotency_key) beside the 1.0 forms (DESIGN "Version 1.2"), to whoever
-- could run the 1.0 forms.
-- (Written out here: #current cannot name one overload; the same text is
-- in sql/credit_ledger.sql, and 23_upgrade compares the two.)
CREATE FUNCTION @extschema@.credit_void(
    customer_id text,
    grant_id bigint,
    reason text DEFAULT NULL)
RETURNS numeric
    AS 'MODULE_PATHNAME', 'credit_void_customer'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;
CREATE FUNCTION @extschema@.credit_reverse(
    customer_id text,
    operation_id bigint,
    amount numeric DEFAULT NULL,
    reason text DEFAULT NULL,
    idempotency_key text DEFAULT NULL)
RETURNS credit_ledger.operation_result
    AS 'MODULE_PATHNAME', 'credit_reverse_customer'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.credit_void(text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_reverse(text, bigint, numeric, text, text) FROM PUBLIC;

-- topup: automatic top-up (issue 14). The wallet keeps its top-up
-- configuration, the pending top-up block and the day's request count (at
-- the end of wallets, in sql/credit_ledger.sql's order); a top-up block is
-- of kind topup; credit_auto_topup_configure sets it up, for the roles that
-- could configure wallets.
SELECT credit_ledger.upgrade_table('credit_ledger.wallets',
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN topup_threshold numeric$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN topup_amount numeric$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN topup_cost_basis numeric$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN topup_max_per_day integer$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN topup_enabled boolean NOT NULL DEFAULT false$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN topup_pending_grant_id bigint$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN topup_day integer$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN topup_count integer NOT NULL DEFAULT 0$ddl$);
SELECT credit_ledger.upgrade_table('credit_ledger.grants',
    $ddl$ALTER TABLE credit_ledger.grants DROP CONSTRAINT grants_kind_check$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD CONSTRAINT grants_kind_check
        CHECK (kind IN ('grant', 'adjustment', 'reversal', 'topup'))$ddl$);
#current @extschema@.credit_auto_topup_configure
REVOKE ALL ON FUNCTION @extschema@.credit_auto_topup_configure(text, text, numeric, numeric, numeric, integer, boolean) FROM PUBLIC;

-- prices: prices and usage in product units (issue 14, item 1). The prices
-- table (a reference table on Citus), and on entries the quantity, unit price
-- and price of priced usage (outside the hash chain: entry hash v1 is
-- unchanged).
#current credit_ledger.price_id_seq
#current credit_ledger.prices
#current prices_lookup_idx
REVOKE ALL ON TABLE credit_ledger.prices FROM PUBLIC;
REVOKE ALL ON SEQUENCE credit_ledger.price_id_seq FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.prices', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.price_id_seq', '');
SELECT credit_ledger.upgrade_table('credit_ledger.entries',
    $ddl$ALTER TABLE credit_ledger.entries ADD COLUMN quantity numeric$ddl$,
    $ddl$ALTER TABLE credit_ledger.entries ADD COLUMN unit_price numeric$ddl$,
    $ddl$ALTER TABLE credit_ledger.entries ADD COLUMN price_id bigint$ddl$);
#current @extschema@.credit_price_set
#current @extschema@.credit_report_usage
#current @extschema@.credit_report_usage_batch
REVOKE ALL ON FUNCTION @extschema@.credit_price_set(text, text, numeric, text, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_report_usage(text, text, numeric, text, timestamptz, text, jsonb, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_report_usage_batch(jsonb) FROM PUBLIC;
-- grant_access gives the writer set the three new functions.
#current credit_ledger.grant_access

-- citus: the sweep on a Citus coordinator covers every worker: it calls
-- expire_customer once per customer whose shard is elsewhere, and Citus runs
-- the call there (citus_distribute() delegates it by customer_id).
#current credit_ledger.expire_customer
REVOKE ALL ON FUNCTION credit_ledger.expire_customer(text, timestamptz, integer) FROM PUBLIC;
-- Event delivery on a Citus cluster: credit_events_claim takes another path
-- where the outbox is distributed (Citus refuses FOR UPDATE SKIP LOCKED
-- across shards), and the event functions take the time once, as a value
-- (Citus refuses clock_timestamp() in an UPDATE of a distributed table).
#current credit_ledger.citus_distributed
REVOKE ALL ON FUNCTION credit_ledger.citus_distributed(regclass) FROM PUBLIC;
#current @extschema@.credit_events_ack
#current @extschema@.credit_events_prune
#current @extschema@.credit_events_release
#current @extschema@.credit_events_fail

-- recurring: recurring grants and rollover (issue 14, items 2 and 3). A
-- schedule issues a block every period (kind 'recurring', its recurring_id
-- and period on the row); a lapsing one rolls up to rollover_max into a new
-- block (kind 'rollover', rolled_from_grant_id, rolled_over_amount) with a
-- pair of 'rollover' entries. New grants columns at the end, in the fresh
-- install's order.
SELECT credit_ledger.upgrade_table('credit_ledger.grants',
    $ddl$ALTER TABLE credit_ledger.grants ADD COLUMN recurring_id bigint$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD COLUMN period bigint$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD COLUMN rolled_from_grant_id bigint$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD COLUMN rolled_over_amount numeric NOT NULL DEFAULT 0$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants DROP CONSTRAINT grants_kind_check$ddl$,
    $ddl$ALTER TABLE credit_ledger.grants ADD CONSTRAINT grants_kind_check
        CHECK (kind IN ('grant', 'adjustment', 'reversal', 'recurring', 'rollover', 'topup'))$ddl$);
SELECT credit_ledger.upgrade_table('credit_ledger.entries',
    $ddl$ALTER TABLE credit_ledger.entries DROP CONSTRAINT entries_entry_type_check$ddl$,
    $ddl$ALTER TABLE credit_ledger.entries ADD CONSTRAINT entries_entry_type_check
        CHECK (entry_type IN ('grant', 'usage', 'adjustment', 'reversal', 'expiration', 'void', 'repayment', 'rollover'))$ddl$);
#current credit_ledger.recurring_id_seq
#current credit_ledger.recurring_grants
#current recurring_wallet_idx
#current recurring_due_idx
REVOKE ALL ON TABLE credit_ledger.recurring_grants FROM PUBLIC;
REVOKE ALL ON SEQUENCE credit_ledger.recurring_id_seq FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.recurring_grants', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.recurring_id_seq', '');
#current @extschema@.credit_recurring_create
#current @extschema@.credit_recurring_cancel
REVOKE ALL ON FUNCTION @extschema@.credit_recurring_create(text, text, numeric, interval, timestamptz, timestamptz, interval, numeric, boolean, integer, numeric, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_recurring_cancel(text, bigint, timestamptz) FROM PUBLIC;

-- amend: changing blocks and credit types, the draw-down policy and block
-- usage alerts (issue 14).
-- credit_types: currency, the ISO 4217 code of a type's money values.
SELECT credit_ledger.upgrade_table('credit_ledger.credit_types',
    $ddl$ALTER TABLE credit_ledger.credit_types ADD COLUMN currency text$ddl$,
    $ddl$ALTER TABLE credit_ledger.credit_types ADD CONSTRAINT credit_types_currency_check CHECK (currency ~ '^[A-Z]{3}$')$ddl$);
COMMENT ON TABLE credit_ledger.credit_types IS
    'currencies of credits ("usd", "ai_tokens"); scale is the number of decimal places; currency: the ISO 4217 code of their money values';
-- wallets: the draw-down policy and the block usage thresholds.
SELECT credit_ledger.upgrade_table('credit_ledger.wallets',
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN drawdown_order text NOT NULL DEFAULT 'expiry_first'$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD CONSTRAINT wallets_drawdown_order_check
        CHECK (drawdown_order IN ('expiry_first', 'promotional_first'))$ddl$,
    $ddl$ALTER TABLE credit_ledger.wallets ADD COLUMN grant_usage_thresholds numeric[] NOT NULL DEFAULT '{}'$ddl$);
-- grants: the highest usage threshold fired for the block.
SELECT credit_ledger.upgrade_table('credit_ledger.grants',
    $ddl$ALTER TABLE credit_ledger.grants ADD COLUMN usage_alerted numeric$ddl$);
-- The amendment entry of credit_grant_update. (Its operation type, as
-- those of holds and recurring grants, is in operation_rows' CHECK: lean,
-- below, replaces the 1.1 operations table.)
SELECT credit_ledger.upgrade_table('credit_ledger.entries',
    $ddl$ALTER TABLE credit_ledger.entries DROP CONSTRAINT entries_entry_type_check$ddl$,
    $ddl$ALTER TABLE credit_ledger.entries ADD CONSTRAINT entries_entry_type_check
        CHECK (entry_type IN ('grant', 'usage', 'adjustment', 'reversal', 'expiration', 'void', 'repayment',
                              'rollover', 'amendment'))$ddl$);
-- grant_status shows the credit type's currency.
#current credit_ledger.grant_status
-- New functions, and credit_type_create (currency) and
-- credit_wallet_configure (drawdown_order, grant_usage_thresholds) with
-- parameters appended: created beside the 1.1 ones, whose grantees get
-- them (credit_type_update and credit_grant_update: the roles that could
-- run the 1.1 credit_type_create and credit_grant), then the 1.1 ones go.
#current @extschema@.credit_type_create
#current @extschema@.credit_type_update
#current @extschema@.credit_wallet_configure
#current @extschema@.credit_grant_update
REVOKE ALL ON FUNCTION @extschema@.credit_type_create(text, integer, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_type_update(text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_wallet_configure(text, text, numeric, numeric[], text, numeric[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.credit_grant_update(text, bigint, timestamptz, integer, text, text) FROM PUBLIC;

-- revenue: credit_revenue reads a summary of closed quarter-hours
-- (revenue_buckets, revenue_closed), kept by revenue_close (called by the
-- report itself) and, for entries written under credit_ledger.clock, by
-- revenue_entered; the open part is read through entries_time_idx (above). The
-- summary starts empty: the first report after the upgrade builds it.
#current credit_ledger.revenue_buckets
#current revenue_buckets_idx
#current credit_ledger.revenue_closed
#current revenue_closed_one_idx
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

-- lean (issue 17): a leaner write set per usage event. A consume of one
-- entry whose amount and balance_after are its result is stored as that
-- entry alone (entries.standalone, with its key's digests under
-- entries_key_idx, found by operation_id through entries_time_idx); the
-- other operations move to operation_rows, which keeps the first 128 bits
-- of the key's SHA-256, the first 64 of the request's, and no longer the
-- key's text; credit_ledger.operations becomes a view of both.
-- The 1.1 table steps aside (operation_rows takes its constraint and index
-- names) and leaves the extension. On a Citus coordinator these statements
-- pass on to its shards and to the other nodes' copies, which a worker's own
-- update then finds done, under the new name.
SELECT credit_ledger.upgrade_table(
    COALESCE(pg_catalog.to_regclass('credit_ledger.operations_1_1'),
             pg_catalog.to_regclass('credit_ledger.operations')),
    $ddl$ALTER TABLE credit_ledger.operations DROP CONSTRAINT operations_pkey$ddl$,
    $ddl$DROP INDEX credit_ledger.operations_key_idx$ddl$,
    $ddl$DROP INDEX credit_ledger.operations_reverses_idx$ddl$,
    $ddl$ALTER TABLE credit_ledger.operations RENAME TO operations_1_1$ddl$);
ALTER EXTENSION credit_ledger DROP TABLE credit_ledger.operations_1_1;
#current credit_ledger.operation_rows
#current operations_key_idx
#current operations_reverses_idx
#current operations_append_only
#current operations_no_truncate
REVOKE ALL ON TABLE credit_ledger.operation_rows FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.operation_rows', '');
-- The 1.1 rows, their digests cut to 16 and 8 bytes, then the 1.1 table
-- goes. Where Citus manages the 1.1 table, its rows are on the workers'
-- shards: credit_ledger.citus_distribute(), run in the update's transaction
-- (README, "Upgrades"), distributes operation_rows beside it, moves them shard
-- by shard and drops it.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
                    WHERE logicalrelid = 'credit_ledger.operations_1_1'::pg_catalog.regclass) THEN
            RETURN;
        END IF;
    END IF;
    INSERT INTO credit_ledger.operation_rows
    SELECT operation_id, customer_id, wallet_id, credit_type, operation_type,
           pg_catalog.substr(key_hash, 1, 16), pg_catalog.substr(request_hash, 1, 8),
           amount, balance, grant_id, reverses_operation_id, first_seq, last_seq, created_at
      FROM credit_ledger.operations_1_1;
    DROP TABLE credit_ledger.operations_1_1;
END
$$;
SELECT credit_ledger.upgrade_table('credit_ledger.entries',
    $ddl$ALTER TABLE credit_ledger.entries ADD COLUMN key_hash bytea$ddl$,
    $ddl$ALTER TABLE credit_ledger.entries ADD COLUMN request_hash bytea$ddl$,
    $ddl$ALTER TABLE credit_ledger.entries ADD COLUMN standalone boolean$ddl$);
SELECT credit_ledger.upgrade_table('credit_ledger.entries', $ddl$
#current entries_key_idx
$ddl$);
#current credit_ledger.operations
REVOKE ALL ON TABLE credit_ledger.operations FROM PUBLIC;

-- Grants this upgrade keeps. A role keeps what it could do under 1.1: each
-- pair below is (a privilege on an object that exists here, the privilege
-- its grantees get on a new object), as "EXECUTE ON ROUTINE <signature>" or
-- "SELECT ON TABLE <name>"; the object's owner and PUBLIC are left out.
-- Pairs run in order, so a pair may copy from a new object that an earlier
-- pair gave grantees. A later change adds its pairs here; the 1.1
-- functions it replaces are dropped after this block.
-- polish: the reader set lives in one list, credit_ledger.reader_functions(),
-- which grant_access and the portal read (its pair below).
#current credit_ledger.reader_functions
REVOKE ALL ON FUNCTION credit_ledger.reader_functions() FROM PUBLIC;
DO $$
DECLARE
    pair text[];
    source text[];
    acl pg_catalog.aclitem[];
    owner oid;
    grantee regrole;
BEGIN
    FOREACH pair SLICE 1 IN ARRAY ARRAY[
        -- The sweep's routines, to the roles that could run the sweep.
        ['EXECUTE ON ROUTINE @extschema@.credit_expire_due(integer)',
         'EXECUTE ON ROUTINE credit_ledger.expire_batch(timestamptz, integer)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_expire_due(integer)',
         'EXECUTE ON ROUTINE credit_ledger.expire_due(integer)'],
        -- The new credit_entries and the reports, to the reader set.
        ['EXECUTE ON ROUTINE @extschema@.credit_entries(text, text, bigint, integer)',
         'EXECUTE ON ROUTINE @extschema@.credit_entries(text, text, bigint, integer, text[], timestamptz, timestamptz, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_entries(text, text, bigint, integer)',
         'EXECUTE ON ROUTINE @extschema@.credit_statement(text, text, timestamptz, timestamptz)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_entries(text, text, bigint, integer)',
         'EXECUTE ON ROUTINE @extschema@.credit_usage_report(timestamptz, timestamptz, text, text, text, text, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_entries(text, text, bigint, integer)',
         'EXECUTE ON ROUTINE @extschema@.credit_revenue(timestamptz, timestamptz, text, text, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_entries(text, text, bigint, integer)',
         'EXECUTE ON ROUTINE credit_ledger.report_check(timestamptz, timestamptz, text, text, text)'],
        -- Holds, pending grants, the new credit_grant and credit_consume,
        -- the customer-first void and reverse.
        ['SELECT ON TABLE credit_ledger.grants',
         'SELECT ON TABLE credit_ledger.holds'],
        ['EXECUTE ON ROUTINE @extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb, boolean, numeric)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_grant_confirm(text, bigint, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_grant_cancel(text, bigint, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_consume(text, text, numeric, text, text, text, timestamptz, jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_consume(text, text, numeric, text, text, text, timestamptz, jsonb, boolean)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_consume_batch(jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_hold(text, text, numeric, interval, text, text, text, jsonb)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_consume_batch(jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_capture(text, bigint, numeric, text, text, text, timestamptz, jsonb)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_consume_batch(jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_release(text, bigint, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_void(bigint, text)',
         'EXECUTE ON ROUTINE @extschema@.credit_void(text, bigint, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_reverse(bigint, numeric, text, text)',
         'EXECUTE ON ROUTINE @extschema@.credit_reverse(text, bigint, numeric, text, text)'],
        -- The views' catch-up, to the roles that can run ledger_now.
        ['EXECUTE ON ROUTINE credit_ledger.ledger_now()',
         'EXECUTE ON ROUTINE credit_ledger.caught_up_block(text, text, bigint)'],
        ['EXECUTE ON ROUTINE credit_ledger.ledger_now()',
         'EXECUTE ON ROUTINE credit_ledger.caught_up_wallet(text, text)'],
        -- topup: to the roles that could configure wallets.
        ['EXECUTE ON ROUTINE @extschema@.credit_wallet_configure(text, text, numeric, numeric[])',
         'EXECUTE ON ROUTINE @extschema@.credit_auto_topup_configure(text, text, numeric, numeric, numeric, integer, boolean)'],
        -- prices: readers read prices, the writer set (the roles that could
        -- run credit_consume_batch: only grant_access gives it) prices usage.
        ['SELECT ON TABLE credit_ledger.grants',
         'SELECT ON TABLE credit_ledger.prices'],
        ['EXECUTE ON ROUTINE @extschema@.credit_consume_batch(jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_price_set(text, text, numeric, text, timestamptz, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_consume_batch(jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_report_usage(text, text, numeric, text, timestamptz, text, jsonb, boolean)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_consume_batch(jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_report_usage_batch(jsonb)'],
        -- recurring: readers read the schedules, writers run the new functions.
        ['SELECT ON TABLE credit_ledger.grants',
         'SELECT ON TABLE credit_ledger.recurring_grants'],
        ['EXECUTE ON ROUTINE @extschema@.credit_consume_batch(jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_recurring_create(text, text, numeric, interval, timestamptz, timestamptz, interval, numeric, boolean, integer, numeric, text, text, text, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_consume_batch(jsonb)',
         'EXECUTE ON ROUTINE @extschema@.credit_recurring_cancel(text, bigint, timestamptz)'],
        -- amend: the new credit_type_create and credit_wallet_configure,
        -- credit_type_update and credit_grant_update, to the roles that could
        -- run the 1.1 credit_type_create, credit_wallet_configure and
        -- credit_grant (the 1.2 credit_grant got them above).
        ['EXECUTE ON ROUTINE @extschema@.credit_type_create(text, integer, text, text, text)',
         'EXECUTE ON ROUTINE @extschema@.credit_type_create(text, integer, text, text, text, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_type_create(text, integer, text, text, text)',
         'EXECUTE ON ROUTINE @extschema@.credit_type_update(text, text, text, text, text)'],
        ['EXECUTE ON ROUTINE @extschema@.credit_wallet_configure(text, text, numeric, numeric[])',
         'EXECUTE ON ROUTINE @extschema@.credit_wallet_configure(text, text, numeric, numeric[], text, numeric[])'],
        ['EXECUTE ON ROUTINE @extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb, boolean, numeric)',
         'EXECUTE ON ROUTINE @extschema@.credit_grant_update(text, bigint, timestamptz, integer, text, text)'],
        -- revenue: a role that can run credit_revenue (report_check got the
        -- reader set above) reads the summary and runs what it calls.
        ['EXECUTE ON ROUTINE credit_ledger.report_check(timestamptz, timestamptz, text, text, text)',
         'EXECUTE ON ROUTINE credit_ledger.revenue_close()'],
        ['EXECUTE ON ROUTINE credit_ledger.report_check(timestamptz, timestamptz, text, text, text)',
         'EXECUTE ON ROUTINE credit_ledger.revenue_sums(timestamptz, timestamptz, bigint, text, bigint, bigint)'],
        ['EXECUTE ON ROUTINE credit_ledger.report_check(timestamptz, timestamptz, text, text, text)',
         'SELECT ON TABLE credit_ledger.revenue_buckets'],
        ['EXECUTE ON ROUTINE credit_ledger.report_check(timestamptz, timestamptz, text, text, text)',
         'SELECT ON TABLE credit_ledger.revenue_closed'],
        -- lean: operation_rows and the view operations, to the roles that
        -- read the ledger's tables.
        ['SELECT ON TABLE credit_ledger.grants',
         'SELECT ON TABLE credit_ledger.operation_rows'],
        ['SELECT ON TABLE credit_ledger.grants',
         'SELECT ON TABLE credit_ledger.operations'],
        -- polish: the reader set's own list, to the roles with the reader set.
        ['EXECUTE ON ROUTINE @extschema@.credit_balance(text, text, timestamptz)',
         'EXECUTE ON ROUTINE credit_ledger.reader_functions()']]
    LOOP
        source := pg_catalog.regexp_match(pair[1], '^(EXECUTE|SELECT) ON (ROUTINE|TABLE) (.+)$');
        IF source IS NULL THEN
            RAISE EXCEPTION 'bad privilege in the upgrade script: %', pair[1];
        ELSIF source[2] = 'ROUTINE' THEN
            SELECT p.proacl, p.proowner INTO STRICT acl, owner
              FROM pg_catalog.pg_proc p WHERE p.oid = source[3]::pg_catalog.regprocedure;
        ELSE
            SELECT c.relacl, c.relowner INTO STRICT acl, owner
              FROM pg_catalog.pg_class c WHERE c.oid = source[3]::pg_catalog.regclass;
        END IF;
        FOR grantee IN
            SELECT DISTINCT a.grantee::pg_catalog.regrole
              FROM pg_catalog.aclexplode(acl) a
             WHERE a.privilege_type = source[1] AND a.grantee NOT IN (0, owner)
        LOOP
            EXECUTE pg_catalog.format('GRANT %s TO %s', pair[2], grantee);
        END LOOP;
    END LOOP;
END
$$;
-- openblocks: a consume reads a wallet's open blocks in drawdown order and
-- stops once they cover what it draws, instead of reading every open block
-- (a wallet with 1,000 open blocks made a consume 5.5x slower). An index on
-- an existing table: through upgrade_table, so Citus takes it.
SELECT credit_ledger.upgrade_table('credit_ledger.grants', $ddl$
#current grants_drawdown_idx
$ddl$);
-- polish: prices are append-only, as DESIGN has them (a new price is a new
-- row; a usage entry names the price it was charged at): UPDATE, DELETE and
-- TRUNCATE raise LG005, as for the entries.
CREATE TRIGGER prices_append_only BEFORE UPDATE OR DELETE ON credit_ledger.prices
    FOR EACH ROW EXECUTE FUNCTION credit_ledger.append_only();
CREATE TRIGGER prices_no_truncate BEFORE TRUNCATE ON credit_ledger.prices
    FOR EACH STATEMENT EXECUTE FUNCTION credit_ledger.append_only();
-- The 1.1 functions replaced by ones with parameters appended.
DROP FUNCTION @extschema@.credit_entries(text, text, bigint, integer);
DROP FUNCTION @extschema@.credit_grant(text, text, numeric, boolean, integer, numeric, timestamptz, timestamptz, text, text, text, jsonb);
DROP FUNCTION @extschema@.credit_consume(text, text, numeric, text, text, text, timestamptz, jsonb);
DROP FUNCTION @extschema@.credit_type_create(text, integer, text, text, text);
DROP FUNCTION @extschema@.credit_wallet_configure(text, text, numeric, numeric[]);
-- The helper for tables Citus manages (at the top) goes.
DROP FUNCTION credit_ledger.upgrade_table(regclass, text[]);
