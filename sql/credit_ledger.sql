\echo Use "CREATE EXTENSION credit_ledger" to load this file. \quit

-- The full definition of the current version, the one place to read and
-- change it; the Makefile installs it as credit_ledger--<version>.sql. To
-- change or add an object, do it here, then name it on a "#current <name>"
-- line in the upgrade script in development (sql/credit_ledger--X--<version>.sql),
-- which the build fills in with the definition from here; 23_upgrade checks
-- that a fresh install and an upgraded one have identical objects. A release
-- (make freeze) copies this file to sql/credit_ledger--<version>.sql, frozen.

-- credit_ledger: credit types, wallets, grants (credit blocks), operations
-- (one per call, carrying the idempotency key) and an append-only, hash-chained
-- ledger of entries. Tables live in schema credit_ledger; the functions live in
-- the schema chosen at CREATE EXTENSION (public by default).
--
-- Every table carries customer_id and every unique key includes it, so the
-- schema can be distributed by customer_id (Citus). No foreign key points at
-- credit_types: the functions check the credit type themselves.

CREATE SCHEMA credit_ledger;
COMMENT ON SCHEMA credit_ledger IS 'credit_ledger tables: read them, write through the functions';

CREATE TABLE credit_ledger.credit_types (
    credit_type   text CONSTRAINT credit_types_pkey PRIMARY KEY,
    scale         integer NOT NULL CHECK (scale BETWEEN 0 AND 9),
    unit_singular text,
    unit_plural   text,
    description   text,
    created_at    timestamptz NOT NULL,
    currency      text CHECK (currency ~ '^[A-Z]{3}$')
);
COMMENT ON TABLE credit_ledger.credit_types IS
    'currencies of credits ("usd", "ai_tokens"); scale is the number of decimal places; currency: the ISO 4217 code of their money values';

-- Ids are unique, not gapless and not in commit order (a wallet's seq is
-- its order): each backend takes 32 at a time, sparing the hot path a
-- sequence-page access per row.
CREATE SEQUENCE credit_ledger.wallet_id_seq;
CREATE SEQUENCE credit_ledger.grant_id_seq;
CREATE SEQUENCE credit_ledger.operation_id_seq CACHE 32;
CREATE SEQUENCE credit_ledger.entry_id_seq CACHE 32;
CREATE SEQUENCE credit_ledger.event_id_seq CACHE 32;

-- One pool per (customer_id, credit_type). balance is the ledger balance (the
-- sum of all entries); debt is the overdraft debt; last_seq and last_hash are
-- the head of the wallet's entry chain; low_balance_alerted and
-- depleted_alerted record which balance alerts were sent and not yet
-- re-armed; latest_effective_at is the latest effective_at of any block the
-- wallet ever had (NULL: none), so that once now has passed it no block can
-- be scheduled and the spendable balance is the ledger balance minus the
-- lapsed blocks, without reading the active ones. Updated under the row lock
-- by every operation, so nothing in it is indexed except its keys and
-- next_due_at (HOT updates; next_due_at changes only when something falls
-- due or is added).
--
-- 1.2: next_due_at is the earliest instant anything is due on the wallet (a
-- block takes effect or lapses, a hold times out; NULL = never): every write
-- catches the wallet up first when now >= next_due_at, so the hot path
-- compares one timestamp. held and held_overdraft are the sums over the
-- active holds (all of them, and the part reserved against the overdraft
-- allowance). legacy_until: the latest effective_at, still ahead at the
-- upgrade to 1.2, of a block 1.1 entered in the ledger at its creation;
-- until then the available balance is computed from the blocks.
-- drawdown_order: the draw-down policy (expiry_first, the contract's order,
-- or promotional_first); grant_usage_thresholds: percentages of a block's
-- amount used at which credits.grant.usage_low fires (once per block and
-- threshold: grants.usage_alerted).
CREATE TABLE credit_ledger.wallets (
    wallet_id              bigint NOT NULL DEFAULT nextval('credit_ledger.wallet_id_seq'),
    customer_id            text NOT NULL,
    credit_type            text NOT NULL,
    balance                numeric NOT NULL DEFAULT 0,
    overdraft_limit        numeric DEFAULT 0 CHECK (overdraft_limit >= 0),
    low_balance_thresholds numeric[] NOT NULL DEFAULT '{}',
    debt                   numeric NOT NULL DEFAULT 0 CHECK (debt >= 0),
    low_balance_alerted    numeric[] NOT NULL DEFAULT '{}',
    depleted_alerted       boolean NOT NULL DEFAULT false,
    last_seq               bigint NOT NULL DEFAULT 0,
    last_hash              bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000',
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    latest_effective_at    timestamptz,
    next_due_at            timestamptz,
    held                   numeric NOT NULL DEFAULT 0 CHECK (held >= 0),
    held_overdraft         numeric NOT NULL DEFAULT 0 CHECK (held_overdraft >= 0),
    legacy_until           timestamptz,
    topup_threshold        numeric,
    topup_amount           numeric,
    topup_cost_basis       numeric,
    topup_max_per_day      integer,
    topup_enabled          boolean NOT NULL DEFAULT false,
    topup_pending_grant_id bigint,
    topup_day              integer,
    topup_count            integer NOT NULL DEFAULT 0,
    drawdown_order         text NOT NULL DEFAULT 'expiry_first'
        CHECK (drawdown_order IN ('expiry_first', 'promotional_first')),
    grant_usage_thresholds numeric[] NOT NULL DEFAULT '{}',
    CONSTRAINT wallets_pkey PRIMARY KEY (wallet_id, customer_id),
    CONSTRAINT wallets_customer_key UNIQUE (customer_id, credit_type)
) WITH (fillfactor = 70);
COMMENT ON TABLE credit_ledger.wallets IS
    'one credit pool per customer and credit type; overdraft_limit NULL = unlimited, 0 = hard limit';
-- Automatic top-up (credit_auto_topup_configure): topup_threshold NULL =
-- never configured; topup_pending_grant_id = the top-up block still waiting
-- for payment (one at a time); topup_day (UTC days since 2000-01-01) and
-- topup_count count the requests of the last day one was made.
-- The sweep's and the catch-up's look-up: wallets with something due.
CREATE INDEX wallets_due_idx ON credit_ledger.wallets (next_due_at)
    WHERE next_due_at IS NOT NULL;

-- Credit blocks. open = an operation may need the row: entered with
-- remaining + held > 0 and neither voided nor expired, or not entered (1.2:
-- scheduled or pending, no grant entry yet) and neither canceled nor voided;
-- it changes rarely, so the partial indexes on it stay small and the
-- frequent updates of remaining stay HOT. kind says what created the block: a
-- grant, a positive adjustment, or a reversal restoring overdraft usage that
-- later grants had already repaid. expired_amount and voided_amount are the
-- credits its expiration and void entries removed. 1.2: entered = the
-- block's grant entry is written (a scheduled block's when it takes effect,
-- a pending one's at confirmation); held = what active holds reserve from
-- it, so its entries sum to remaining + held. usage_alerted: the highest of
-- its wallet's grant_usage_thresholds that fired for it (NULL: none).
CREATE TABLE credit_ledger.grants (
    grant_id     bigint NOT NULL,
    wallet_id    bigint NOT NULL,
    customer_id  text NOT NULL,
    credit_type  text NOT NULL,
    amount       numeric NOT NULL CHECK (amount > 0),
    remaining    numeric NOT NULL,
    promotional  boolean NOT NULL,
    priority     integer NOT NULL CHECK (priority >= 0),
    cost_basis   numeric CHECK (cost_basis >= 0),
    effective_at timestamptz NOT NULL,
    expires_at   timestamptz,
    voided_at    timestamptz,
    expired_at   timestamptz,
    expired_amount numeric NOT NULL,
    voided_amount  numeric NOT NULL,
    reason       text,
    source_id    text,
    metadata     jsonb,
    kind         text NOT NULL CHECK (kind IN ('grant', 'adjustment', 'reversal', 'recurring', 'rollover', 'topup')),
    operation_id bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    open         boolean NOT NULL,
    CONSTRAINT grants_pkey PRIMARY KEY (grant_id, customer_id),
    CONSTRAINT grants_wallet_fkey FOREIGN KEY (wallet_id, customer_id)
        REFERENCES credit_ledger.wallets (wallet_id, customer_id),
    CHECK (remaining >= 0 AND remaining <= amount),
    CHECK (expires_at > effective_at),
    CHECK (open = CASE WHEN entered
                       THEN remaining + held > 0 AND voided_at IS NULL AND expired_at IS NULL
                       ELSE canceled_at IS NULL AND voided_at IS NULL END),
    entered      boolean NOT NULL DEFAULT true,
    pending      boolean NOT NULL DEFAULT false,
    canceled_at  timestamptz,
    held         numeric NOT NULL DEFAULT 0 CHECK (held >= 0),
    recurring_id bigint,
    period       bigint,
    rolled_from_grant_id bigint,
    rolled_over_amount numeric NOT NULL DEFAULT 0,
    usage_alerted numeric
) WITH (fillfactor = 80);
-- The drawdown reads one range of it: the wallet's open grants still to
-- expire (never-expiring ones sort as infinity), skipping lapsed ones.
CREATE INDEX grants_open_idx ON credit_ledger.grants
    (wallet_id, (coalesce(expires_at, 'infinity'::timestamptz))) WHERE open;
-- A draw-down reads the wallet's open grants in drawdown order (priority;
-- soonest expiry, never-expiring last; promotional first; effective_at;
-- grant id) and stops once it has read what it draws.
CREATE INDEX grants_drawdown_idx ON credit_ledger.grants
    (wallet_id, priority, (coalesce(expires_at, 'infinity'::timestamptz)),
     promotional DESC, effective_at, grant_id) WHERE open;
CREATE INDEX grants_expiry_idx ON credit_ledger.grants (expires_at, grant_id)
    WHERE open AND expires_at IS NOT NULL;
COMMENT ON TABLE credit_ledger.grants IS
    'credit blocks; spendable while effective_at <= now < expires_at and remaining > 0';

-- One row per call that changed a wallet, but for the one-entry consumes
-- that are stored as their entry alone (entries.standalone): the view
-- credit_ledger.operations (below entries) shows both. The idempotency key is
-- kept forever as a digest (a btree cannot index long text): the first 128
-- bits of its SHA-256, unique per customer; request_hash, the first 64 bits
-- of the SHA-256 of the request's parameters, is what a replay with other
-- parameters is refused by (LG002); the result is what a replay returns.
CREATE TABLE credit_ledger.operation_rows (
    operation_id          bigint NOT NULL,
    customer_id           text NOT NULL,
    wallet_id             bigint NOT NULL,
    credit_type           text NOT NULL,
    operation_type        text NOT NULL
        CHECK (operation_type IN ('grant', 'consume', 'adjust', 'void', 'reverse', 'expire',
                                  'hold', 'capture', 'release', 'confirm', 'cancel', 'catch_up', 'recurring',
                                  'amend')),
    key_hash              bytea,
    request_hash          bytea,
    amount                numeric,
    balance               numeric,
    grant_id              bigint,
    reverses_operation_id bigint,
    first_seq             bigint NOT NULL,
    last_seq              bigint NOT NULL,
    created_at            timestamptz NOT NULL,
    CONSTRAINT operations_pkey PRIMARY KEY (operation_id, customer_id)
);
CREATE UNIQUE INDEX operations_key_idx ON credit_ledger.operation_rows (customer_id, key_hash)
    WHERE key_hash IS NOT NULL;
CREATE INDEX operations_reverses_idx ON credit_ledger.operation_rows (customer_id, reverses_operation_id)
    WHERE reverses_operation_id IS NOT NULL;
COMMENT ON TABLE credit_ledger.operation_rows IS
    'the operations that are not stored as one standalone entry; entries first_seq..last_seq of the wallet belong to each';

-- Holds (1.2): credits reserved for a usage not yet known. A hold writes no
-- entries until captured; while status = 'held' and now < expires_at it
-- reserves reserved_amounts[i] from block reserved_grant_ids[i] (NULL: the
-- part reserved against the overdraft allowance), in the drawdown order of
-- its creation. operation_id is the hold's operation (replays). Not
-- append-only: status moves forward (held -> captured, released, expired).
CREATE SEQUENCE credit_ledger.hold_id_seq;
CREATE TABLE credit_ledger.holds (
    hold_id            bigint NOT NULL,
    wallet_id          bigint NOT NULL,
    customer_id        text NOT NULL,
    credit_type        text NOT NULL,
    amount             numeric NOT NULL CHECK (amount > 0),
    captured           numeric NOT NULL DEFAULT 0 CHECK (captured >= 0),
    status             text NOT NULL
        CHECK (status IN ('held', 'captured', 'released', 'expired')),
    expires_at         timestamptz NOT NULL,
    feature            text,
    source_id          text,
    metadata           jsonb,
    created_at         timestamptz NOT NULL,
    closed_at          timestamptz,
    reserved_grant_ids bigint[] NOT NULL,
    reserved_amounts   numeric[] NOT NULL,
    operation_id       bigint NOT NULL,
    CONSTRAINT holds_pkey PRIMARY KEY (hold_id, customer_id),
    CONSTRAINT holds_wallet_fkey FOREIGN KEY (wallet_id, customer_id)
        REFERENCES credit_ledger.wallets (wallet_id, customer_id),
    CHECK (cardinality(reserved_grant_ids) = cardinality(reserved_amounts)),
    CHECK ((status = 'held') = (closed_at IS NULL))
);
-- A wallet's active holds; holds past their deadline, for the sweep.
CREATE INDEX holds_active_idx ON credit_ledger.holds (wallet_id, customer_id)
    WHERE status = 'held';
CREATE INDEX holds_expiry_idx ON credit_ledger.holds (expires_at)
    WHERE status = 'held';
COMMENT ON TABLE credit_ledger.holds IS
    'holds: credits reserved until captured, released or timed out (status held, captured, released, expired)';

-- Prices (1.2): from effective_at on, one unit of feature burns
-- credits_per_unit credits of credit_type, for one customer (customer_id) or
-- for everyone else (customer_id NULL). Rows are never updated: a new price
-- takes effect at its own effective_at and the old one keeps pricing usage
-- that occurred before. A reference table on Citus (a copy on every node),
-- so it has no customer key; credit_type is checked in code, as everywhere.
CREATE SEQUENCE credit_ledger.price_id_seq;
CREATE TABLE credit_ledger.prices (
    price_id         bigint NOT NULL DEFAULT nextval('credit_ledger.price_id_seq'),
    feature          text NOT NULL,
    credit_type      text NOT NULL,
    customer_id      text,
    credits_per_unit numeric NOT NULL CHECK (credits_per_unit >= 0),
    rounding         text NOT NULL CHECK (rounding IN ('up', 'down', 'half_even')),
    effective_at     timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    CONSTRAINT prices_pkey PRIMARY KEY (price_id)
);
-- A usage report reads one row per lookup: the customer's latest price at
-- occurred_at, and the general one (customer_id IS NULL).
CREATE INDEX prices_lookup_idx ON credit_ledger.prices
    (feature, customer_id, effective_at DESC, price_id DESC);
COMMENT ON TABLE credit_ledger.prices IS
    'prices of features in credits, effective-dated, per customer or general (customer_id NULL); append-only';

-- Recurring grants (1.2): a schedule that issues a block of `amount` at
-- starts_at + k * every (k = 0, 1, ...), computed in time_zone, until ends_at
-- or canceled_at. last_period is the highest period issued (each period's
-- block exists exactly once: the catch-up issues it under the wallet lock);
-- next_start_at the start of the next one (NULL: none will run), which the
-- wallet's next_due_at includes. operation_id is the creating operation
-- (replays). Not append-only: last_period, next_start_at and canceled_at
-- move forward.
CREATE SEQUENCE credit_ledger.recurring_id_seq;
CREATE TABLE credit_ledger.recurring_grants (
    recurring_id  bigint NOT NULL,
    customer_id   text NOT NULL,
    credit_type   text NOT NULL,
    wallet_id     bigint NOT NULL,
    amount        numeric NOT NULL CHECK (amount > 0),
    every         interval NOT NULL,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz CHECK (ends_at > starts_at),
    expire_after  interval,
    rollover_max  numeric NOT NULL DEFAULT 0 CHECK (rollover_max >= 0),
    promotional   boolean NOT NULL,
    priority      integer NOT NULL CHECK (priority >= 0),
    cost_basis    numeric CHECK (cost_basis >= 0),
    time_zone     text NOT NULL DEFAULT 'UTC',
    reason        text,
    source_id     text,
    last_period   bigint NOT NULL DEFAULT -1,
    next_start_at timestamptz,
    canceled_at   timestamptz,
    operation_id  bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT recurring_grants_pkey PRIMARY KEY (recurring_id, customer_id),
    CONSTRAINT recurring_grants_wallet_fkey FOREIGN KEY (wallet_id, customer_id)
        REFERENCES credit_ledger.wallets (wallet_id, customer_id),
    CHECK (rollover_max = 0 OR expire_after IS NOT NULL)
);
-- The schedules a catch-up reads: those of one wallet.
CREATE INDEX recurring_wallet_idx ON credit_ledger.recurring_grants
    (wallet_id, customer_id);
-- Schedules with a period still to start, by when.
CREATE INDEX recurring_due_idx ON credit_ledger.recurring_grants (next_start_at)
    WHERE next_start_at IS NOT NULL;
COMMENT ON TABLE credit_ledger.recurring_grants IS
    'recurring grants: a block of amount every interval from starts_at (in time_zone), optionally rolling part of what is left over';

-- The ledger. Append-only: every movement of credits is one row linked to the
-- grant it touched, with a per-wallet gapless seq, the wallet's balance after
-- it, and a SHA-256 hash chained to the previous entry of the wallet. Its key
-- is (wallet_id, seq): the order of a wallet's history. entry_id is unique
-- (from a sequence) but not indexed - nothing looks entries up by it, and
-- every byte here is paid once per usage event.
CREATE TABLE credit_ledger.entries (
    entry_id      bigint NOT NULL,
    wallet_id     bigint NOT NULL,
    customer_id   text NOT NULL,
    credit_type   text NOT NULL,
    seq           bigint NOT NULL,
    entry_type    text NOT NULL
        CHECK (entry_type IN ('grant', 'usage', 'adjustment', 'reversal', 'expiration', 'void', 'repayment',
                              'rollover', 'amendment')),
    amount        numeric NOT NULL,
    value         numeric,
    balance_after numeric NOT NULL,
    grant_id      bigint,
    operation_id  bigint NOT NULL,
    promotional   boolean,
    feature       text,
    source_id     text,
    reason        text,
    actor         text,
    metadata      jsonb,
    occurred_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    hash          bytea NOT NULL,
    -- 1.2, priced usage (credit_report_usage): on each usage entry the
    -- quantity reported, the credits_per_unit and the price that priced it.
    -- Outside the hash chain (entry hash v1 is unchanged).
    quantity      numeric,
    unit_price    numeric,
    price_id      bigint,
    -- 1.2 (issue 17): a consume that writes one entry, whose amount and
    -- balance_after are the operation's result, is stored as that entry
    -- alone (standalone true, NULL otherwise: no operation_rows row), with
    -- its idempotency key's digests as operation_rows would keep them.
    key_hash      bytea,
    request_hash  bytea,
    standalone    boolean,
    CONSTRAINT entries_pkey PRIMARY KEY (wallet_id, seq, customer_id)
);
COMMENT ON TABLE credit_ledger.entries IS
    'append-only ledger: amount is signed, value = amount x the grant''s cost basis';
-- Usage over a time range, for credit_usage_report: one customer's through
-- a btree on (customer_id, occurred_at), only usage and reversal rows.
-- Every customer's usage (by occurred_at), the revenue summary's entries
-- with a value (by created_at) and the standalone entries by operation_id
-- (credit_reverse and the view operations below) through one BRIN over the
-- three: entries are appended in about the order they occur, are created
-- and get their operation ids, so a month is a few block ranges and an id
-- one or two (a btree on operation_id would cost every usage event 23 bytes
-- for a lookup only a reversal makes). One BRIN, not one per column: each
-- BRIN an entry enters costs its insert a range-map lookup (the time BRINs
-- merged saved a keyed consume ~10,000 instructions, operation_id's ~4,700;
-- BENCHMARKS.md). Its predicate is implied by every reader's WHERE (a
-- standalone entry is a usage entry).
CREATE INDEX entries_usage_idx ON credit_ledger.entries (customer_id, occurred_at)
    WHERE entry_type IN ('usage', 'reversal');
CREATE INDEX entries_time_idx ON credit_ledger.entries USING brin (occurred_at, created_at, operation_id)
    WITH (autosummarize = on)
    WHERE entry_type IN ('usage', 'reversal') OR value IS NOT NULL;
-- Standalone entries are their operations: their keys are unique per
-- customer beside operations_key_idx (a key is in one of the two, never
-- both: the writer of either checks the other).
CREATE UNIQUE INDEX entries_key_idx ON credit_ledger.entries (customer_id, key_hash)
    WHERE key_hash IS NOT NULL;

-- Every operation: the rows of operation_rows and the standalone entries
-- (one-entry consumes), in one shape. A standalone entry is a usage entry:
-- saying so lets a lookup by operation_id use entries_time_idx.
CREATE VIEW credit_ledger.operations AS
SELECT o.operation_id, o.customer_id, o.wallet_id, o.credit_type, o.operation_type,
       o.key_hash, o.request_hash, o.amount, o.balance, o.grant_id,
       o.reverses_operation_id, o.first_seq, o.last_seq, o.created_at
  FROM credit_ledger.operation_rows o
UNION ALL
SELECT e.operation_id, e.customer_id, e.wallet_id, e.credit_type, 'consume'::text,
       e.key_hash, e.request_hash, -e.amount, e.balance_after, NULL::bigint,
       NULL::bigint, e.seq, e.seq, e.created_at
  FROM credit_ledger.entries e
 WHERE e.standalone AND e.entry_type = 'usage';
COMMENT ON VIEW credit_ledger.operations IS
    'every operation: operation_rows and the one-entry consumes stored as their entry alone';

-- The transactional outbox. Each event is written in the transaction of the
-- change that caused it; with the setting credit_ledger.notify on (off by
-- default: a NOTIFY forbids PREPARE TRANSACTION and serializes commits) it is
-- also announced with NOTIFY credit_ledger_events (payload: event_id) at its
-- commit. Relays poll for events, claim them with
-- credit_events_claim (a lease: unacknowledged claims come back when it runs
-- out) and acknowledge them with credit_events_ack.
CREATE TABLE credit_ledger.events (
    event_id     bigint NOT NULL,
    event_type   text NOT NULL,
    customer_id  text NOT NULL,
    credit_type  text NOT NULL,
    wallet_id    bigint NOT NULL,
    operation_id bigint,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    claimed_by   text,
    claimed_until timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    processed_at timestamptz,
    failed_at    timestamptz,  -- given up on by a relay (credit_events_fail)
    last_error   text,
    CONSTRAINT events_pkey PRIMARY KEY (event_id, customer_id)
);
CREATE INDEX events_pending_idx ON credit_ledger.events (event_id)
    WHERE processed_at IS NULL;
CREATE INDEX events_processed_idx ON credit_ledger.events (processed_at)
    WHERE processed_at IS NOT NULL;
COMMENT ON TABLE credit_ledger.events IS
    'outbox: one row per event, written with the change that caused it';

-- Append-only guards: they fire for every role, the owner included. COPY
-- (pg_restore) inserts, which they allow.
CREATE FUNCTION credit_ledger.append_only() RETURNS trigger
    AS 'MODULE_PATHNAME', 'credit_ledger_append_only' LANGUAGE C;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON credit_ledger.entries
    FOR EACH ROW EXECUTE FUNCTION credit_ledger.append_only();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON credit_ledger.entries
    FOR EACH STATEMENT EXECUTE FUNCTION credit_ledger.append_only();
CREATE TRIGGER operations_append_only BEFORE UPDATE OR DELETE ON credit_ledger.operation_rows
    FOR EACH ROW EXECUTE FUNCTION credit_ledger.append_only();
CREATE TRIGGER operations_no_truncate BEFORE TRUNCATE ON credit_ledger.operation_rows
    FOR EACH STATEMENT EXECUTE FUNCTION credit_ledger.append_only();

-- Prices too (1.2): a usage entry names the price it was charged at, and a
-- new price is a new row (credit_price_set), so none is changed or removed.
CREATE TRIGGER prices_append_only BEFORE UPDATE OR DELETE ON credit_ledger.prices
    FOR EACH ROW EXECUTE FUNCTION credit_ledger.append_only();
CREATE TRIGGER prices_no_truncate BEFORE TRUNCATE ON credit_ledger.prices
    FOR EACH STATEMENT EXECUTE FUNCTION credit_ledger.append_only();

-- What consume, adjust and reverse return; what credit_verify returns. (An OUT
-- column may not share an argument's name, hence named types.)
CREATE TYPE credit_ledger.operation_result AS (
    operation_id bigint,
    amount       numeric,
    balance      numeric,
    replayed     boolean
);
CREATE TYPE credit_ledger.verify_result AS (
    customer_id text,
    credit_type text,
    problem     text,
    detail      text
);

-- pg_dump keeps the ledger's rows and its sequences' positions.
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.credit_types', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.wallets', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.grants', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.operation_rows', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.entries', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.wallet_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.grant_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.operation_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.entry_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.events', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.prices', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.price_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.holds', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.hold_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.recurring_grants', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.recurring_id_seq', '');

-- The API. Functions that write run with the extension owner's rights, with
-- search_path pinned; every statement they run is schema-qualified.

CREATE FUNCTION credit_ledger.ledger_now() RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'credit_ledger_now'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION credit_ledger.ledger_now() IS
    'the ledger''s now: the transaction timestamp, or credit_ledger.clock when set';

CREATE FUNCTION @extschema@.credit_type_create(
    credit_type text,
    scale integer DEFAULT 0,
    unit_singular text DEFAULT NULL,
    unit_plural text DEFAULT NULL,
    description text DEFAULT NULL,
    currency text DEFAULT NULL)
RETURNS void
    AS 'MODULE_PATHNAME', 'credit_type_create'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Edits how a credit type is shown (1.2): each argument given replaces the
-- stored value, NULL leaves it; the scale never changes.
CREATE FUNCTION @extschema@.credit_type_update(
    credit_type text,
    unit_singular text DEFAULT NULL,
    unit_plural text DEFAULT NULL,
    description text DEFAULT NULL,
    currency text DEFAULT NULL)
RETURNS void
    AS 'MODULE_PATHNAME', 'credit_type_update'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_wallet_configure(
    customer_id text,
    credit_type text,
    overdraft_limit numeric DEFAULT 0,
    low_balance_thresholds numeric[] DEFAULT '{}',
    drawdown_order text DEFAULT 'expiry_first',
    grant_usage_thresholds numeric[] DEFAULT '{}')
RETURNS bigint
    AS 'MODULE_PATHNAME', 'credit_wallet_configure'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_grant(
    customer_id text,
    credit_type text,
    amount numeric,
    promotional boolean DEFAULT false,
    priority integer DEFAULT 50,
    cost_basis numeric DEFAULT NULL,
    effective_at timestamptz DEFAULT NULL,
    expires_at timestamptz DEFAULT NULL,
    idempotency_key text DEFAULT NULL,
    reason text DEFAULT NULL,
    source_id text DEFAULT NULL,
    metadata jsonb DEFAULT NULL,
    pending boolean DEFAULT false,
    value numeric DEFAULT NULL)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'credit_grant'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Changing a block (1.2): its expiry (later or earlier, after now and after
-- its start) or its priority, recorded as an amendment entry of amount 0
-- whose metadata holds the old and new values.
CREATE FUNCTION @extschema@.credit_grant_update(
    customer_id text,
    grant_id bigint,
    expires_at timestamptz DEFAULT NULL,
    priority integer DEFAULT NULL,
    reason text DEFAULT NULL,
    idempotency_key text DEFAULT NULL)
RETURNS void
    AS 'MODULE_PATHNAME', 'credit_grant_update'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Pending grants (1.2): the block waits for payment (credit_grant(...,
-- pending => true)); confirming it enters it in the wallet (now, or at its
-- effective_at if later), canceling closes it with nothing ever entered.
-- 1.2: automatic top-up. When a credit-taking operation leaves the available
-- balance below threshold, the same transaction creates a pending grant of
-- amount (kind topup) and the event credits.auto_topup.requested.
CREATE FUNCTION @extschema@.credit_auto_topup_configure(
    customer_id text,
    credit_type text,
    threshold numeric,
    amount numeric,
    cost_basis numeric DEFAULT NULL,
    max_per_day integer DEFAULT 3,
    enabled boolean DEFAULT true)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'credit_auto_topup_configure'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_grant_confirm(
    customer_id text,
    grant_id bigint,
    idempotency_key text DEFAULT NULL)
RETURNS credit_ledger.operation_result
    AS 'MODULE_PATHNAME', 'credit_grant_confirm'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_grant_cancel(
    customer_id text,
    grant_id bigint,
    reason text DEFAULT NULL)
RETURNS void
    AS 'MODULE_PATHNAME', 'credit_grant_cancel'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_consume(
    customer_id text,
    credit_type text,
    amount numeric,
    idempotency_key text DEFAULT NULL,
    feature text DEFAULT NULL,
    source_id text DEFAULT NULL,
    occurred_at timestamptz DEFAULT NULL,
    metadata jsonb DEFAULT NULL,
    allow_partial boolean DEFAULT false)
RETURNS credit_ledger.operation_result
    AS 'MODULE_PATHNAME', 'credit_consume'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_balance(
    customer_id text,
    credit_type text,
    as_of timestamptz DEFAULT NULL)
RETURNS numeric
    AS 'MODULE_PATHNAME', 'credit_balance'
    LANGUAGE C STABLE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_expire(
    as_of timestamptz DEFAULT NULL,
    max_grants integer DEFAULT 10000)
RETURNS integer
    AS 'MODULE_PATHNAME', 'credit_expire'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_verify(customer_id text DEFAULT NULL)
RETURNS SETOF credit_ledger.verify_result
    AS 'MODULE_PATHNAME', 'credit_verify'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_void(grant_id bigint, reason text DEFAULT NULL)
RETURNS numeric
    AS 'MODULE_PATHNAME', 'credit_void'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- 1.2: the customer-scoped form. The grant is found only under its customer
-- (LG004 otherwise), which keeps tenants apart and lets a distributed
-- cluster route the call.
CREATE FUNCTION @extschema@.credit_void(
    customer_id text,
    grant_id bigint,
    reason text DEFAULT NULL)
RETURNS numeric
    AS 'MODULE_PATHNAME', 'credit_void_customer'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_adjust(
    customer_id text,
    credit_type text,
    amount numeric,
    reason text,
    idempotency_key text DEFAULT NULL)
RETURNS credit_ledger.operation_result
    AS 'MODULE_PATHNAME', 'credit_adjust'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_reverse(
    operation_id bigint,
    amount numeric DEFAULT NULL,
    reason text DEFAULT NULL,
    idempotency_key text DEFAULT NULL)
RETURNS credit_ledger.operation_result
    AS 'MODULE_PATHNAME', 'credit_reverse'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- 1.2: the customer-scoped form; the operation is found only under its
-- customer (LG004 otherwise).
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

-- Views for people. Both judge time by credit_ledger.ledger_now().

-- What the views read (1.2): a block and a wallet as caught up to now,
-- computed by the same core a write runs (PlanCatchUp, when the wallet's
-- next_due_at has come) and never written. So grant_status, wallet_summary,
-- credit_balance and the next write cannot disagree: a block whose
-- effective_at has come shows as entered (having repaid debt first), a lapsed
-- block as expired, a hold past its deadline as released.
CREATE TYPE credit_ledger.block_state AS (
    status text,
    remaining numeric,
    held numeric,
    expired_amount numeric,
    voided_amount numeric,
    open boolean);

CREATE TYPE credit_ledger.wallet_state AS (
    available numeric,
    scheduled numeric,
    expiring_30d numeric,
    debt numeric,
    ledger_balance numeric,
    entries bigint,
    held numeric,
    pending numeric);

CREATE FUNCTION credit_ledger.caught_up_block(
    customer_id text,
    credit_type text,
    grant_id bigint)
RETURNS credit_ledger.block_state
    AS 'MODULE_PATHNAME', 'credit_caught_up_block'
    LANGUAGE C STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;
COMMENT ON FUNCTION credit_ledger.caught_up_block(text, text, bigint) IS
    'a credit block as caught up to now, without writing (what grant_status shows)';

CREATE FUNCTION credit_ledger.caught_up_wallet(
    customer_id text,
    credit_type text)
RETURNS credit_ledger.wallet_state
    AS 'MODULE_PATHNAME', 'credit_caught_up_wallet'
    LANGUAGE C STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;
COMMENT ON FUNCTION credit_ledger.caught_up_wallet(text, text) IS
    'a wallet as caught up to now, without writing (what wallet_summary shows)';

-- Each credit block with its status, what is left of it, how much of it was
-- used, and how many days it has left (Monk's "105D LEFT"). 1.2: the
-- statuses pending and canceled, and held (what active holds reserve from
-- the block). It shows the block as caught up to now without writing
-- (caught_up_block): a block whose effective_at has come is active (its
-- entry repaying debt first), a lapsed one expired, and a hold past its
-- deadline reserves nothing (its credit counts as remaining again, or
-- leaves at once from a lapsed or voided block). currency: the credit
-- type's, for cost_basis and
-- remaining_value.
CREATE VIEW credit_ledger.grant_status AS
SELECT g.grant_id, g.customer_id, g.credit_type, g.wallet_id, g.kind,
       c.status, g.amount, c.remaining,
       g.amount - c.remaining - c.held - c.expired_amount - c.voided_amount AS used,
       round(100 * (g.amount - c.remaining - c.held - c.expired_amount - c.voided_amount)
             / g.amount, 1) AS usage_percent,
       c.expired_amount, c.voided_amount,
       g.promotional, g.priority, g.cost_basis,
       c.remaining * g.cost_basis AS remaining_value,
       g.effective_at, g.expires_at,
       CASE WHEN c.open AND g.expires_at > n.now
            THEN ceil(extract(epoch FROM g.expires_at - n.now) / 86400)::integer
       END AS days_left,
       g.reason, g.source_id, g.metadata, g.created_at,
       c.held,
       (SELECT ct.currency FROM credit_ledger.credit_types ct
         WHERE ct.credit_type = g.credit_type) AS currency
  FROM credit_ledger.grants g
 CROSS JOIN (SELECT credit_ledger.ledger_now() AS now) n
 CROSS JOIN LATERAL credit_ledger.caught_up_block(g.customer_id, g.credit_type, g.grant_id) c;
COMMENT ON VIEW credit_ledger.grant_status IS
    'credit blocks with status (pending, scheduled, active, depleted, expired, voided, canceled), usage, held and days left';

-- Per wallet: what can be spent now, what is scheduled, what expires within
-- 30 days, and the overdraft debt. 1.2: held (what active holds reserve)
-- and pending (blocks waiting for payment); every amount, ledger_balance and
-- entries are the wallet's as caught up to now without writing
-- (caught_up_wallet): available = the free credit of the spendable blocks -
-- debt - the part of active holds reserved against the overdraft allowance
-- (credit_balance's number), and entries counts the entries the next write's
-- catch-up would add.
CREATE VIEW credit_ledger.wallet_summary AS
SELECT w.wallet_id, w.customer_id, w.credit_type,
       c.available, c.scheduled, c.expiring_30d,
       c.debt, w.overdraft_limit, c.ledger_balance,
       w.low_balance_thresholds, c.entries, w.updated_at,
       c.held, c.pending
  FROM credit_ledger.wallets w
 CROSS JOIN LATERAL credit_ledger.caught_up_wallet(w.customer_id, w.credit_type) c;
COMMENT ON VIEW credit_ledger.wallet_summary IS
    'per wallet: available now, scheduled, expiring within 30 days, overdraft debt, held and pending';

-- What the expiration sweep has still to do: lapsed blocks not yet expired.
-- An empty view means the sweep is keeping up. (1.2: a pending block never
-- lapses on its own: it waits for its confirmation or cancellation.)
CREATE VIEW credit_ledger.expiration_backlog AS
SELECT count(*) AS lapsed_grants,
       coalesce(sum(g.remaining), 0) AS lapsed_credits,
       min(g.expires_at) AS oldest_expires_at,
       credit_ledger.ledger_now() - min(g.expires_at) AS oldest_lag
  FROM credit_ledger.grants g
 WHERE g.open AND NOT g.pending AND g.expires_at <= credit_ledger.ledger_now()
HAVING count(*) > 0;
COMMENT ON VIEW credit_ledger.expiration_backlog IS
    'lapsed grants the sweep has not expired yet (no row = none)';

-- History.

-- A wallet's entries, newest first, one page at a time: pass the smallest seq
-- of the previous page as before_seq. Served by the (wallet_id, seq) key,
-- walked backwards. The filters narrow the page: entry_types (any of them),
-- occurred_at in [since, until), source_id; a filter left NULL does not
-- narrow. The wallet's total entry count is wallets.last_seq (no count(*)
-- needed). A filter matching few of a long history's entries walks the
-- history to find them.
CREATE FUNCTION @extschema@.credit_entries(
    customer_id text,
    credit_type text,
    before_seq bigint DEFAULT NULL,
    page_size integer DEFAULT 50,
    entry_types text[] DEFAULT NULL,
    since timestamptz DEFAULT NULL,
    until timestamptz DEFAULT NULL,
    source_id text DEFAULT NULL)
RETURNS SETOF credit_ledger.entries
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, credit_ledger, pg_temp
AS $$
DECLARE
    wallet bigint;
    unknown text;
BEGIN
    IF credit_entries.customer_id IS NULL OR credit_entries.credit_type IS NULL
       OR page_size IS NULL THEN
        RAISE EXCEPTION 'customer_id, credit_type and page_size must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    IF page_size < 1 OR page_size > 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000'
            USING ERRCODE = '22023', DETAIL = format('The page size given was %s.', page_size);
    END IF;
    IF until <= since THEN
        RAISE EXCEPTION 'until must be after since' USING ERRCODE = '22023',
            DETAIL = format('The range given was [%s, %s).', since, until);
    END IF;
    SELECT t INTO unknown FROM unnest(entry_types) t
     WHERE t IS NULL OR t <> ALL (ARRAY['grant', 'usage', 'adjustment', 'reversal', 'expiration',
                                        'void', 'repayment', 'amendment', 'rollover'])
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown entry type "%"', unknown USING ERRCODE = '22023',
            HINT = 'The entry types are grant, usage, adjustment, reversal, expiration, void, repayment, amendment and rollover.';
    END IF;
    SELECT w.wallet_id INTO wallet FROM credit_ledger.wallets w
     WHERE w.customer_id = credit_entries.customer_id
       AND w.credit_type = credit_entries.credit_type;
    RETURN QUERY
    SELECT e.* FROM credit_ledger.entries e
     WHERE e.wallet_id = wallet
       AND e.customer_id = credit_entries.customer_id
       AND e.seq < coalesce(before_seq, 9223372036854775807)
       AND (entry_types IS NULL OR e.entry_type = ANY (entry_types))
       AND (since IS NULL OR e.occurred_at >= since)
       AND (until IS NULL OR e.occurred_at < until)
       AND (credit_entries.source_id IS NULL OR e.source_id = credit_entries.source_id)
     ORDER BY e.seq DESC
     LIMIT page_size;
END
$$;

-- Credits used per feature per day, week or month over [start_at, end_at):
-- usage entries net of reversals (a reversal carries the feature of the
-- consume it undoes and counts when it happened), bucketed in time_zone.
CREATE FUNCTION @extschema@.credit_usage(
    customer_id text,
    credit_type text,
    start_at timestamptz,
    end_at timestamptz,
    granularity text DEFAULT 'day',
    time_zone text DEFAULT 'UTC')
RETURNS TABLE (period_start timestamptz, feature text, credits numeric, value numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, credit_ledger, pg_temp
AS $$
BEGIN
    IF credit_usage.customer_id IS NULL OR credit_usage.credit_type IS NULL
       OR start_at IS NULL OR end_at IS NULL OR granularity IS NULL
       OR time_zone IS NULL THEN
        RAISE EXCEPTION 'customer_id, credit_type, start_at, end_at, granularity and time_zone must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    IF granularity NOT IN ('day', 'week', 'month') THEN
        RAISE EXCEPTION 'granularity must be day, week or month'
            USING ERRCODE = '22023', DETAIL = format('The granularity given was "%s".', granularity);
    END IF;
    IF end_at <= start_at THEN
        RAISE EXCEPTION 'end_at must be after start_at' USING ERRCODE = '22023';
    END IF;
    PERFORM now() AT TIME ZONE time_zone;  -- rejects an unknown zone (22023)
    RETURN QUERY
    SELECT date_trunc(granularity, e.occurred_at AT TIME ZONE time_zone) AT TIME ZONE time_zone,
           e.feature, -sum(e.amount), -sum(e.value)
      FROM credit_ledger.entries e
      JOIN credit_ledger.wallets w
        ON w.wallet_id = e.wallet_id AND w.customer_id = e.customer_id
     WHERE w.customer_id = credit_usage.customer_id
       AND w.credit_type = credit_usage.credit_type
       AND e.entry_type IN ('usage', 'reversal')
       AND e.occurred_at >= start_at AND e.occurred_at < end_at
     GROUP BY 1, 2
     ORDER BY 1, 2;
END
$$;

-- Reports. Queries over the ledger, run with the caller's rights (a reader
-- has SELECT on the tables), search_path pinned and every name qualified;
-- they write nothing of the ledger (credit_revenue brings its own summary
-- up to date, as the extension's owner). Two clocks are used on purpose:
--   * credit_statement and credit_revenue are books: they bound entries by
--     created_at, the moment the ledger recorded them (transaction time,
--     the order of seq and balance_after). A period once past never changes,
--     however late usage is imported with an earlier occurred_at (the past
--     of occurred_at is not bounded), so a statement sent or a month closed
--     stays true, and the opening balance is what the ledger held then.
--   * credit_usage_report (like credit_usage and credit_entries' since/until)
--     bounds entries by occurred_at, when the usage happened: late usage
--     shows in the day it belongs to.

-- What credit_statement returns (an OUT column may not share an argument's
-- name, hence a named type).
CREATE TYPE credit_ledger.statement AS (
    opening_balance numeric,
    granted         numeric,
    used            numeric,
    reversed        numeric,
    adjusted        numeric,
    expired         numeric,
    voided          numeric,
    rolled_over     numeric,
    closing_balance numeric
);

-- One row of credit_usage_report.
CREATE TYPE credit_ledger.usage_report_row AS (
    period_start timestamptz,
    credit_type  text,
    group_key    text,
    credits      numeric,
    value        numeric,
    events       bigint
);

-- One row of credit_revenue.
CREATE TYPE credit_ledger.revenue_row AS (
    period_start        timestamptz,
    credit_type         text,
    sold                numeric,
    recognized          numeric,
    breakage            numeric,
    voided              numeric,
    deferred_end        numeric,
    promotional_used    numeric,
    promotional_expired numeric,
    currency            text
);

-- The checks every report makes of its range and, when given, its credit
-- type: end_at after start_at, a known granularity and time zone (22023),
-- a defined credit type (LG003). Returns the credit type's scale (NULL when
-- no credit type is given).
CREATE FUNCTION credit_ledger.report_check(
    start_at timestamptz,
    end_at timestamptz,
    credit_type text,
    granularity text DEFAULT 'day',
    time_zone text DEFAULT 'UTC')
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    type_scale integer;
BEGIN
    IF end_at OPERATOR(pg_catalog.<=) start_at THEN
        RAISE EXCEPTION 'end_at must be after start_at' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('The range given was [%s, %s).', start_at, end_at);
    END IF;
    IF NOT granularity OPERATOR(pg_catalog.=) ANY (ARRAY['hour', 'day', 'week', 'month', 'quarter', 'year']) THEN
        RAISE EXCEPTION 'granularity must be hour, day, week, month, quarter or year'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('The granularity given was "%s".', granularity);
    END IF;
    -- PostgreSQL itself rejects an unknown zone with 22023.
    PERFORM pg_catalog.date_trunc('day', start_at, time_zone);
    IF credit_type IS NOT NULL THEN
        SELECT t.scale INTO type_scale FROM credit_ledger.credit_types t
         WHERE t.credit_type OPERATOR(pg_catalog.=) report_check.credit_type;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown credit type "%"', credit_type USING ERRCODE = 'LG003';
        END IF;
    END IF;
    RETURN type_scale;
END
$$;

-- A customer's statement for [start_at, end_at) in one credit type: the
-- balance before, each kind of movement as the signed sum of its entries,
-- and the balance after, so that
--   opening_balance + granted + used + reversed + adjusted + expired + voided
--     = closing_balance
-- exactly (repayment pairs and rollovers net to zero within their operation).
-- rolled_over is a memo: the credits moved from lapsing blocks into their
-- rollover blocks, outside the sum. Entries are bounded by created_at, the
-- moment the ledger recorded them (see "Reports" above): usage imported late
-- with an earlier occurred_at belongs to the statement of the period it was
-- recorded in, so a statement once issued never changes, and its balances
-- are the running sums of the wallet's entries in seq order. A customer
-- without a wallet gets zeros.
CREATE FUNCTION @extschema@.credit_statement(
    customer_id text,
    credit_type text,
    start_at timestamptz,
    end_at timestamptz)
RETURNS credit_ledger.statement
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zero numeric;
    result credit_ledger.statement;
BEGIN
    IF credit_statement.customer_id IS NULL OR credit_statement.credit_type IS NULL
       OR start_at IS NULL OR end_at IS NULL THEN
        RAISE EXCEPTION 'customer_id, credit_type, start_at and end_at must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    zero := pg_catalog.round(0::numeric,
        credit_ledger.report_check(start_at, end_at, credit_statement.credit_type));
    SELECT coalesce(sum(e.amount) FILTER (WHERE e.created_at OPERATOR(pg_catalog.<) start_at), zero),
           coalesce(sum(e.amount) FILTER (WHERE m.inside AND e.entry_type OPERATOR(pg_catalog.=) 'grant'), zero),
           coalesce(sum(e.amount) FILTER (WHERE m.inside AND e.entry_type OPERATOR(pg_catalog.=) 'usage'), zero),
           coalesce(sum(e.amount) FILTER (WHERE m.inside AND e.entry_type OPERATOR(pg_catalog.=) 'reversal'), zero),
           coalesce(sum(e.amount) FILTER (WHERE m.inside AND e.entry_type OPERATOR(pg_catalog.=) 'adjustment'), zero),
           coalesce(sum(e.amount) FILTER (WHERE m.inside AND e.entry_type OPERATOR(pg_catalog.=) 'expiration'), zero),
           coalesce(sum(e.amount) FILTER (WHERE m.inside AND e.entry_type OPERATOR(pg_catalog.=) 'void'), zero),
           coalesce(sum(e.amount) FILTER (WHERE m.inside AND e.entry_type OPERATOR(pg_catalog.=) 'rollover'
                                            AND e.amount OPERATOR(pg_catalog.>) 0), zero),
           coalesce(sum(e.amount) FILTER (WHERE e.created_at OPERATOR(pg_catalog.<) end_at), zero)
      INTO result
      FROM credit_ledger.wallets w
      JOIN credit_ledger.entries e
        ON e.wallet_id OPERATOR(pg_catalog.=) w.wallet_id
       AND e.customer_id OPERATOR(pg_catalog.=) w.customer_id
     CROSS JOIN LATERAL (SELECT e.created_at OPERATOR(pg_catalog.>=) start_at
                            AND e.created_at OPERATOR(pg_catalog.<) end_at AS inside) m
     WHERE w.customer_id OPERATOR(pg_catalog.=) credit_statement.customer_id
       AND w.credit_type OPERATOR(pg_catalog.=) credit_statement.credit_type;
    RETURN result;
END
$$;

-- Credits used over [start_at, end_at), net of reversals, per period
-- (hour, day, week, month, quarter or year, starting at that unit's
-- boundaries in time_zone) and per group: feature, customer_id, actor,
-- source_id or metadata.<key> (the text of that top-level key of the
-- usage's metadata; Stigg's usage by user is 'metadata.user_id'). Across
-- every customer and credit type, or one of each. Entries count at their
-- occurred_at; a reversal counts when it happened, under the group of the
-- usage it undoes (its feature, source, actor and metadata are read from the
-- reversed operation). value is the money of the credits drawn from blocks
-- with a cost basis; events counts usage operations (a reversal counts
-- none). period_start is the start of the period containing the usage, so
-- the first and last periods may be partial. Only periods and groups with
-- entries have rows. Served by entries_usage_idx (one customer) and
-- entries_time_idx (all of them).
CREATE FUNCTION @extschema@.credit_usage_report(
    start_at timestamptz,
    end_at timestamptz,
    credit_type text DEFAULT NULL,
    customer_id text DEFAULT NULL,
    group_by text DEFAULT 'feature',
    granularity text DEFAULT 'day',
    time_zone text DEFAULT 'UTC')
RETURNS SETOF credit_ledger.usage_report_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    metadata_key text;
BEGIN
    IF start_at IS NULL OR end_at IS NULL OR group_by IS NULL OR granularity IS NULL
       OR time_zone IS NULL THEN
        RAISE EXCEPTION 'start_at, end_at, group_by, granularity and time_zone must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    PERFORM credit_ledger.report_check(start_at, end_at, credit_usage_report.credit_type,
                                       granularity, time_zone);
    IF pg_catalog.starts_with(group_by, 'metadata.') THEN
        metadata_key := pg_catalog.substr(group_by, 10);
    END IF;
    IF NOT (group_by OPERATOR(pg_catalog.=) ANY (ARRAY['feature', 'customer_id', 'actor', 'source_id'])
            OR coalesce(metadata_key OPERATOR(pg_catalog.<>) '', false)) THEN
        RAISE EXCEPTION 'group_by must be feature, customer_id, actor, source_id or metadata.<key>'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('The group_by given was "%s".', group_by);
    END IF;
    -- A constant query run with EXECUTE, so that it is planned for the
    -- arguments of this call (one customer or all of them) rather than once
    -- for every call. Usage rows and reversal rows are read apart: only a
    -- reversal needs the labels of the usage it undoes.
    RETURN QUERY EXECUTE $q$
    SELECT pg_catalog.date_trunc($6, u.occurred_at, $7), u.credit_type,
           CASE $5 WHEN 'feature' THEN u.feature
                   WHEN 'customer_id' THEN u.customer_id
                   WHEN 'actor' THEN u.actor
                   WHEN 'source_id' THEN u.source_id
                   ELSE u.metadata OPERATOR(pg_catalog.->>) $8 END,
           OPERATOR(pg_catalog.-) sum(u.amount), OPERATOR(pg_catalog.-) sum(u.value),
           count(DISTINCT u.operation_id) FILTER (WHERE u.is_usage)
      FROM (SELECT e.occurred_at, e.credit_type, e.customer_id, e.amount, e.value,
                   e.operation_id, true AS is_usage,
                   e.feature, e.actor, e.source_id, e.metadata
              FROM credit_ledger.entries e
             WHERE e.entry_type OPERATOR(pg_catalog.=) 'usage'
               AND e.occurred_at OPERATOR(pg_catalog.>=) $1
               AND e.occurred_at OPERATOR(pg_catalog.<) $2
               AND ($3 IS NULL OR e.credit_type OPERATOR(pg_catalog.=) $3)
               AND ($4 IS NULL OR e.customer_id OPERATOR(pg_catalog.=) $4)
            UNION ALL
            SELECT e.occurred_at, e.credit_type, e.customer_id, e.amount, e.value,
                   e.operation_id, false,
                   c.feature, c.actor, c.source_id, c.metadata
              FROM credit_ledger.entries e
              JOIN credit_ledger.operations r
                ON r.operation_id OPERATOR(pg_catalog.=) e.operation_id
               AND r.customer_id OPERATOR(pg_catalog.=) e.customer_id
              JOIN credit_ledger.operations o
                ON o.operation_id OPERATOR(pg_catalog.=) r.reverses_operation_id
               AND o.customer_id OPERATOR(pg_catalog.=) r.customer_id
              JOIN credit_ledger.entries c
                ON c.wallet_id OPERATOR(pg_catalog.=) o.wallet_id
               AND c.seq OPERATOR(pg_catalog.=) o.first_seq
               AND c.customer_id OPERATOR(pg_catalog.=) o.customer_id
             WHERE e.entry_type OPERATOR(pg_catalog.=) 'reversal'
               AND e.occurred_at OPERATOR(pg_catalog.>=) $1
               AND e.occurred_at OPERATOR(pg_catalog.<) $2
               AND ($3 IS NULL OR e.credit_type OPERATOR(pg_catalog.=) $3)
               AND ($4 IS NULL OR e.customer_id OPERATOR(pg_catalog.=) $4)) u
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    $q$ USING start_at, end_at, credit_usage_report.credit_type, credit_usage_report.customer_id,
              group_by, granularity, time_zone, metadata_key;
END
$$;

-- The summary behind credit_revenue. A report over a big ledger must not
-- read every entry, and a write must not touch a shared row (that would
-- serialize every wallet), so the summary is built by the reports
-- themselves, after the fact, from closed time only: revenue_buckets holds,
-- per credit type and UTC quarter-hour of created_at, the sums
-- credit_revenue takes of the entries with a value (paid is the net value
-- of paid credits; the others as in credit_revenue), for every quarter-hour
-- before revenue_closed.closed_through (a quarter-hour without a row had no
-- such entry; a quarter-hour may have several rows, to be added up).
-- Quarter-hours, because every time zone in use today is
-- offset from UTC by a multiple of 15 minutes: every period of every
-- granularity in them is a union of whole quarter-hours, and a bound that
-- falls inside one (an old local mean time, a start_at at 10:07) is read
-- from the entries for that quarter-hour alone.
--
-- A quarter-hour is closed once no transaction that could still commit an
-- entry created in it is running: created_at is the writing transaction's
-- start, so credit_ledger.revenue_close() closes up to the start of the
-- oldest transaction of the database (and a minute before it looked, for a
-- transaction between its start and its report in pg_stat_activity), only
-- when no transaction is prepared (its start is not known). A superuser's
-- credit_ledger.clock writes entries at any instant: those writes add
-- themselves to the summary as rows of their own (revenue_entered, never on
-- the hot path; an insert, so clocked writers never wait for each other).
-- Quarter-hours before 2000 are never summarized (read from the entries).
-- Rows at or after closed_through are ignored and replaced when closed.
CREATE TABLE credit_ledger.revenue_buckets (
    credit_type         text NOT NULL,
    bucket_start        timestamptz NOT NULL
        CHECK (pg_catalog.date_bin('15 minutes', bucket_start, '2000-01-01 00:00+00') = bucket_start
               AND bucket_start >= '2000-01-01 00:00+00'),
    paid                numeric NOT NULL,
    sold                numeric NOT NULL,
    breakage            numeric NOT NULL,
    voided              numeric NOT NULL,
    promotional_used    numeric NOT NULL,
    promotional_expired numeric NOT NULL
);
CREATE INDEX revenue_buckets_idx ON credit_ledger.revenue_buckets (bucket_start);
COMMENT ON TABLE credit_ledger.revenue_buckets IS
    'credit_revenue''s sums per credit type and closed UTC quarter-hour of created_at';
-- At most one row: the summary covers [2000-01-01, closed_through); none
-- means nothing is summarized yet.
CREATE TABLE credit_ledger.revenue_closed (
    closed_through timestamptz NOT NULL PRIMARY KEY,
    closed_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX revenue_closed_one_idx ON credit_ledger.revenue_closed ((true));
COMMENT ON TABLE credit_ledger.revenue_closed IS
    'how far revenue_buckets is complete';
-- pg_dump keeps the summary with the ledger it summarizes (one snapshot).
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.revenue_buckets', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.revenue_closed', '');

-- credit_revenue's sums of the entries with a value created in [lo, hi),
-- per credit type and quarter-hour; given a wallet, only its entries
-- first_seq..last_seq.
CREATE FUNCTION credit_ledger.revenue_sums(
    lo timestamptz,
    hi timestamptz,
    wallet_id bigint DEFAULT NULL,
    customer_id text DEFAULT NULL,
    first_seq bigint DEFAULT NULL,
    last_seq bigint DEFAULT NULL)
RETURNS SETOF credit_ledger.revenue_buckets
-- PL/pgSQL, not SQL: Citus cannot plan a SQL function's parameterized
-- query over a distributed table ("could not create distributed plan").
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
RETURN QUERY
SELECT e.credit_type,
       pg_catalog.date_bin('15 minutes', e.created_at, '2000-01-01 00:00+00'),
       coalesce(sum(e.value) FILTER (WHERE NOT e.promotional), 0),
       coalesce(sum(e.value) FILTER (WHERE NOT e.promotional
           AND e.entry_type OPERATOR(pg_catalog.=) 'grant'), 0),
       OPERATOR(pg_catalog.-) coalesce(sum(e.value) FILTER (WHERE NOT e.promotional
           AND e.entry_type OPERATOR(pg_catalog.=) 'expiration'), 0),
       OPERATOR(pg_catalog.-) coalesce(sum(e.value) FILTER (WHERE NOT e.promotional
           AND e.entry_type OPERATOR(pg_catalog.=) 'void'), 0),
       OPERATOR(pg_catalog.-) coalesce(sum(e.value) FILTER (WHERE e.promotional
           AND e.entry_type OPERATOR(pg_catalog.<>) ALL (ARRAY['grant', 'expiration', 'void'])), 0),
       OPERATOR(pg_catalog.-) coalesce(sum(e.value) FILTER (WHERE e.promotional
           AND e.entry_type OPERATOR(pg_catalog.=) 'expiration'), 0)
  FROM credit_ledger.entries e
 WHERE e.value IS NOT NULL
   AND e.created_at OPERATOR(pg_catalog.>=) lo AND e.created_at OPERATOR(pg_catalog.<) hi
   AND (revenue_sums.wallet_id IS NULL
        OR (e.wallet_id OPERATOR(pg_catalog.=) revenue_sums.wallet_id
            AND e.customer_id OPERATOR(pg_catalog.=) revenue_sums.customer_id
            AND e.seq OPERATOR(pg_catalog.>=) first_seq AND e.seq OPERATOR(pg_catalog.<=) last_seq))
 GROUP BY 1, 2;
END
$$;

-- Summarizes the quarter-hours closed since the last call and returns how
-- far the summary is complete. It writes only when it can prove them closed
-- and can see every transaction: in a read-write READ COMMITTED transaction
-- (each statement then sees what committed before it), as a role that sees
-- every session's xact_start (the extension's owner, a superuser), with no
-- prepared transaction in the database, not on Citus (the entries' writers
-- run on the workers, out of this node's sight: the summary stays empty and
-- credit_revenue reads the entries), and not while another call holds the
-- summary (it skips rather than waits). credit_revenue calls it; a pg_cron
-- job may too (SELECT credit_ledger.revenue_close()), so that a report
-- finds the summary done.
CREATE FUNCTION credit_ledger.revenue_close()
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    origin constant timestamptz := '2000-01-01 00:00+00';
    closed timestamptz;
    seen timestamptz;
    horizon timestamptz;
    distributed boolean := false;
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        EXECUTE $q$SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p
                                   WHERE p.logicalrelid OPERATOR(pg_catalog.=) 'credit_ledger.entries'::pg_catalog.regclass)$q$
           INTO distributed;
    END IF;
    IF distributed
       OR pg_catalog.current_setting('transaction_read_only')::boolean
       OR pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed'
       OR NOT ((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user)
               OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE'))
       -- one at a time (a second call leaves the summary as it is)
       OR NOT pg_catalog.pg_try_advisory_xact_lock(7450392087140935061) THEN
        RETURN coalesce((SELECT max(c.closed_through) FROM credit_ledger.revenue_closed c), origin);
    END IF;
    closed := coalesce((SELECT max(c.closed_through) FROM credit_ledger.revenue_closed c), origin);
    PERFORM pg_catalog.pg_stat_clear_snapshot();
    seen := pg_catalog.clock_timestamp();
    SELECT least(min(a.xact_start), seen OPERATOR(pg_catalog.-) interval '1 minute') INTO horizon
      FROM pg_catalog.pg_stat_activity a
     WHERE a.datid OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                            WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database());
    horizon := pg_catalog.date_bin('15 minutes', horizon, origin);
    IF horizon OPERATOR(pg_catalog.<=) closed
       OR EXISTS (SELECT FROM pg_catalog.pg_prepared_xacts x
                   WHERE x.database OPERATOR(pg_catalog.=) pg_catalog.current_database()) THEN
        RETURN closed;
    END IF;
    -- One statement, one snapshot: a clocked writer's rows in the range are
    -- replaced exactly when its entries are summed (both committed or not).
    WITH replaced AS (
        DELETE FROM credit_ledger.revenue_buckets b
         WHERE b.bucket_start OPERATOR(pg_catalog.>=) closed AND b.bucket_start OPERATOR(pg_catalog.<) horizon)
    INSERT INTO credit_ledger.revenue_buckets SELECT * FROM credit_ledger.revenue_sums(closed, horizon);
    DELETE FROM credit_ledger.revenue_closed;
    INSERT INTO credit_ledger.revenue_closed (closed_through, closed_at) VALUES (horizon, seen);
    RETURN horizon;
END
$$;

-- Adds entries a superuser wrote under credit_ledger.clock (created_at any
-- instant, perhaps in closed time) to the summary, as rows of their own: the
-- writing functions call it for the entries first_seq..last_seq of a wallet
-- they just wrote at created_at, only when the clock is set (never on the
-- hot path). The rows commit with the entries, so the summary counts them
-- exactly once whatever revenue_close does meanwhile: it replaces the rows
-- of the time it closes in one statement, seeing both or neither.
CREATE FUNCTION credit_ledger.revenue_entered(
    wallet_id bigint,
    customer_id text,
    first_seq bigint,
    last_seq bigint,
    created_at timestamptz)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
INSERT INTO credit_ledger.revenue_buckets
SELECT * FROM credit_ledger.revenue_sums(created_at, created_at OPERATOR(pg_catalog.+) interval '1 microsecond',
                                         wallet_id, customer_id, first_seq, last_seq)
 WHERE created_at OPERATOR(pg_catalog.>=) '2000-01-01 00:00+00';  -- before: never summarized
$$;

-- The money of credits per period over [start_at, end_at) (periods as in
-- credit_usage_report; every period in the range has a row, per credit type
-- with any block carrying a cost basis). Paid credits (not promotional, with
-- a cost basis) are deferred revenue until used: sold is the value of their
-- grant entries, breakage of their expirations, voided of their voids, and
-- recognized of every other movement on them (usage net of reversals, the
-- repayment of debt, adjustments drawing them down; rollovers net to zero),
-- each counted positive as it leaves. deferred_end is the value of paid
-- credits the ledger still held at the period's end, so each period
--   sold - recognized - breakage - voided = deferred_end - the previous deferred_end.
-- promotional_used and promotional_expired are the same movements of
-- promotional credit at its tracked rate: never revenue. Entries are
-- bounded by created_at, as in credit_statement: a closed period never
-- changes.
--
-- The sums come from the summary (revenue_buckets, brought up to date by
-- revenue_close first) for the closed quarter-hours that lie inside one
-- period, and from the entries (entries_time_idx) for the rest: what is
-- not closed yet, the quarter-hours a bound or a period's start falls
-- inside, and what was created before 2000. Volatile: it may write the
-- summary (as the extension's owner, through revenue_close).
CREATE FUNCTION @extschema@.credit_revenue(
    start_at timestamptz,
    end_at timestamptz,
    credit_type text DEFAULT NULL,
    granularity text DEFAULT 'month',
    time_zone text DEFAULT 'UTC')
RETURNS SETOF credit_ledger.revenue_row
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    origin constant timestamptz := '2000-01-01 00:00+00';
    sample interval;
    starts timestamptz[];
    split timestamptz[];
    closed timestamptz;
BEGIN
    IF start_at IS NULL OR end_at IS NULL OR granularity IS NULL OR time_zone IS NULL THEN
        RAISE EXCEPTION 'start_at, end_at, granularity and time_zone must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    PERFORM credit_ledger.report_check(start_at, end_at, credit_revenue.credit_type,
                                       granularity, time_zone);
    -- The periods are found by sampling the range more finely than the
    -- shortest period can be (a local day may last 23 hours) and truncating
    -- each sample as the entries are truncated, so both agree in every zone.
    sample := CASE granularity WHEN 'hour' THEN interval '15 minutes'
                               WHEN 'day' THEN interval '1 hour'
                               ELSE interval '24 hours' END;
    SELECT pg_catalog.array_agg(DISTINCT p.period_start ORDER BY p.period_start) INTO starts
      FROM (SELECT pg_catalog.date_trunc(granularity, s, time_zone) AS period_start
              FROM pg_catalog.generate_series(start_at, end_at OPERATOR(pg_catalog.-) interval '1 microsecond', sample) s
            UNION ALL
            SELECT pg_catalog.date_trunc(granularity, end_at OPERATOR(pg_catalog.-) interval '1 microsecond', time_zone)) p;
    -- The quarter-hours a bound falls inside: start_at, end_at, a period's start.
    SELECT coalesce(pg_catalog.array_agg(DISTINCT q.q), '{}') INTO split
      FROM (SELECT b, pg_catalog.date_bin('15 minutes', b, origin) AS q
              FROM pg_catalog.unnest(starts OPERATOR(pg_catalog.||) ARRAY[start_at, end_at]) b
             WHERE b OPERATOR(pg_catalog.>=) start_at AND b OPERATOR(pg_catalog.>=) origin) q
     WHERE q.q OPERATOR(pg_catalog.<>) q.b;
    closed := credit_ledger.revenue_close();
    -- A constant query run with EXECUTE, planned for this call's range.
    RETURN QUERY EXECUTE $q$
    WITH periods AS (
        SELECT pg_catalog.unnest($6) AS period_start),
    types AS (
        SELECT t.credit_type, t.currency FROM credit_ledger.credit_types t
         WHERE ($3 IS NULL OR t.credit_type OPERATOR(pg_catalog.=) $3)
           -- not correlated: Citus cannot run a correlated subquery of a
           -- distributed table under a reference table
           AND t.credit_type IN (SELECT g.credit_type FROM credit_ledger.grants g
                                  WHERE g.cost_basis IS NOT NULL)),
    -- Where each period (NULL: before start_at) lies.
    segments AS (
        SELECT NULL::timestamptz AS period_start, '-infinity'::timestamptz AS lo, $1 AS hi
        UNION ALL
        SELECT p.period_start, greatest(p.period_start, $1),
               least(pg_catalog.lead(p.period_start) OVER (ORDER BY p.period_start), $2)
          FROM periods p),
    -- What is read from the entries.
    live AS (
        SELECT '-infinity'::timestamptz AS lo, $9 AS hi
        UNION ALL
        SELECT q, q OPERATOR(pg_catalog.+) interval '15 minutes' FROM pg_catalog.unnest($7) q
         WHERE q OPERATOR(pg_catalog.<) $8
        UNION ALL
        SELECT $8, 'infinity'),
    parts AS (
        SELECT b.credit_type,
               CASE WHEN b.bucket_start OPERATOR(pg_catalog.>=) $1
                    THEN pg_catalog.date_trunc($4, b.bucket_start, $5) END AS period_start,
               b.paid, b.sold, b.breakage, b.voided, b.promotional_used, b.promotional_expired
          FROM credit_ledger.revenue_buckets b
         WHERE b.bucket_start OPERATOR(pg_catalog.<) least($8, $2)
           AND b.bucket_start OPERATOR(pg_catalog.<>) ALL ($7)
           AND b.credit_type OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT types.credit_type FROM types))
        UNION ALL
        SELECT s.credit_type, g.period_start,
               s.paid, s.sold, s.breakage, s.voided, s.promotional_used, s.promotional_expired
          FROM segments g
          JOIN live l
            ON greatest(l.lo, g.lo) OPERATOR(pg_catalog.<) least(l.hi, g.hi)
         CROSS JOIN LATERAL credit_ledger.revenue_sums(greatest(l.lo, g.lo),
                                                       least(l.hi, g.hi)) s
         WHERE s.credit_type OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT types.credit_type FROM types))),
    moves AS (
        SELECT p.credit_type, p.period_start, sum(p.paid) AS paid, sum(p.sold) AS sold,
               sum(p.breakage) AS breakage, sum(p.voided) AS voided,
               sum(p.promotional_used) AS promo_used, sum(p.promotional_expired) AS promo_expired
          FROM parts p
         GROUP BY 1, 2)
    SELECT p.period_start, t.credit_type,
           coalesce(m.sold, 0),
           -- what left paid blocks other than by expiry or void
           coalesce(m.sold OPERATOR(pg_catalog.-) m.paid OPERATOR(pg_catalog.-) m.breakage
                    OPERATOR(pg_catalog.-) m.voided, 0),
           coalesce(m.breakage, 0),
           coalesce(m.voided, 0),
           coalesce(b.paid, 0) OPERATOR(pg_catalog.+) coalesce(sum(m.paid) OVER (
               PARTITION BY t.credit_type ORDER BY p.period_start), 0),
           coalesce(m.promo_used, 0),
           coalesce(m.promo_expired, 0),
           t.currency
      FROM periods p
     CROSS JOIN types t
      LEFT JOIN moves m
        ON m.credit_type OPERATOR(pg_catalog.=) t.credit_type
       AND m.period_start OPERATOR(pg_catalog.=) p.period_start
      LEFT JOIN moves b
        ON b.credit_type OPERATOR(pg_catalog.=) t.credit_type AND b.period_start IS NULL
     ORDER BY 1, 2
    $q$ USING start_at, end_at, credit_revenue.credit_type, granularity, time_zone,
              starts, split, closed, origin;
END
$$;

-- Expiration with pg_cron.

-- Runs the sweep in batches of batch_size grants, committing after each so
-- that no wallet stays locked for long, until nothing more is due (or only
-- wallets other transactions hold are left, for the next run). Call it at
-- top level: CALL credit_expire_due(); the pg_cron job runs
-- CALL credit_ledger.expire_due(...).
--
-- A procedure that commits cannot pin search_path with SET, so it runs with
-- its caller's path (often a superuser's, under pg_cron). Everything it
-- names is therefore in pg_catalog or in credit_ledger, which only the
-- extension's owner can create objects in, and every argument has its exact
-- type: an unqualified or loosely typed call (credit_expire(NULL, n) once)
-- could be captured by an overload planted in the extension's schema, and
-- an unqualified type name by a look-alike type with an implicit cast.
CREATE FUNCTION credit_ledger.expire_batch(as_of timestamptz, max_grants integer)
RETURNS integer
    AS 'MODULE_PATHNAME', 'credit_expire'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;
COMMENT ON FUNCTION credit_ledger.expire_batch(timestamptz, integer) IS
    'credit_expire for the sweep procedure, in the schema only the extension owns';

-- The sweep of one customer's wallets (1.2), on the node that holds them:
-- on a Citus coordinator the sweep (credit_expire, expire_due) calls it once
-- per customer whose shard is on a worker, and Citus delegates the call
-- there (citus_distribute() distributes it by customer_id). Not for people:
-- only the sweep calls it.
CREATE FUNCTION credit_ledger.expire_customer(
    customer_id text, as_of timestamptz, max_grants integer)
RETURNS integer
    AS 'MODULE_PATHNAME', 'credit_expire_customer'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

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
CREATE PROCEDURE @extschema@.credit_expire_due(batch_size pg_catalog.int4 DEFAULT 500)
LANGUAGE plpgsql
AS $$
BEGIN
    CALL credit_ledger.expire_due(batch_size);
END
$$;

-- Schedules the sweep with pg_cron in this database (job
-- 'credit_ledger_expire'; scheduling again replaces it). Needs pg_cron
-- installed in this database, i.e. the one named by cron.database_name.
CREATE FUNCTION @extschema@.credit_schedule_expiration(
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

-- Removes the job credit_schedule_expiration created; false if there was none.
CREATE FUNCTION @extschema@.credit_unschedule_expiration()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database' USING ERRCODE = '55000';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'credit_ledger_expire') THEN
        RETURN false;
    END IF;
    PERFORM cron.unschedule('credit_ledger_expire');
    RETURN true;
END
$$;

-- Event delivery.

-- Whether `rel` is a table Citus distributes (false where Citus is absent).
-- The event functions take another path on a cluster.
CREATE FUNCTION credit_ledger.citus_distributed(rel regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found boolean;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1)'
       INTO found USING rel;
    RETURN found;
END
$$;


-- Hands out up to max_events events nobody holds, oldest first, to consumer,
-- for lease: concurrent relays never get the same event while a lease runs
-- (FOR UPDATE SKIP LOCKED); an event not acknowledged in time is handed out
-- again (attempts counts the hand-outs), so delivery is at least once and
-- receivers deduplicate by event_id.
CREATE FUNCTION @extschema@.credit_events_claim(
    max_events integer,
    consumer text,
    lease interval DEFAULT '30 seconds')
RETURNS SETOF credit_ledger.events
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, credit_ledger, pg_temp
AS $$
DECLARE
    -- One instant for the whole claim, passed as a value: Citus refuses
    -- clock_timestamp() (volatile) in an UPDATE of a distributed table.
    claim_at timestamptz := clock_timestamp();
    picked_ids bigint[];
    picked_customers text[];
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
    IF credit_ledger.citus_distributed('credit_ledger.events') THEN
        -- On a Citus cluster, where FOR UPDATE SKIP LOCKED across shards is
        -- refused: the picks are read without locks, and the UPDATE checks
        -- again, under each row's lock, that the event is still free, so
        -- two relays never hold one event; one that loses a race to another
        -- waits for its claim to commit and gets fewer events.
        SELECT array_agg(p.event_id), array_agg(p.customer_id)
          INTO picked_ids, picked_customers
          FROM (SELECT e.event_id, e.customer_id FROM credit_ledger.events e
                 WHERE e.processed_at IS NULL AND e.failed_at IS NULL
                   AND (e.claimed_until IS NULL OR e.claimed_until < claim_at)
                 ORDER BY e.event_id
                 LIMIT max_events) p;
        RETURN QUERY
        WITH claimed AS (
            UPDATE credit_ledger.events e
               SET claimed_by = consumer,
                   claimed_until = claim_at + lease,
                   attempts = e.attempts + 1
             WHERE e.event_id = ANY (picked_ids) AND e.customer_id = ANY (picked_customers)
               AND e.processed_at IS NULL AND e.failed_at IS NULL
               AND (e.claimed_until IS NULL OR e.claimed_until < claim_at)
            RETURNING e.*)
        SELECT * FROM claimed ORDER BY event_id;
        RETURN;
    END IF;
    -- The picks are a MATERIALIZED CTE so that they run once: as a subquery
    -- they could be the inner side of a nested loop, re-run for every
    -- event, each re-run skipping the rows already claimed and taking the
    -- next max_events.
    RETURN QUERY
    WITH picked AS MATERIALIZED (
        SELECT p.event_id, p.customer_id FROM credit_ledger.events p
         WHERE p.processed_at IS NULL AND p.failed_at IS NULL
           AND (p.claimed_until IS NULL OR p.claimed_until < claim_at)
         ORDER BY p.event_id
         LIMIT max_events
           FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE credit_ledger.events e
           SET claimed_by = consumer,
               claimed_until = claim_at + lease,
               attempts = e.attempts + 1
          FROM picked
         WHERE e.event_id = picked.event_id AND e.customer_id = picked.customer_id
        RETURNING e.*)
    SELECT * FROM claimed ORDER BY event_id;
END
$$;

-- Marks events delivered; returns how many were pending. Acknowledging an
-- event twice, or one that does not exist, is harmless.
CREATE FUNCTION @extschema@.credit_events_ack(event_ids bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, credit_ledger, pg_temp
AS $$
DECLARE
    n integer;
    -- A value, not clock_timestamp() in the statement: Citus refuses a
    -- volatile function in an UPDATE or DELETE of a distributed table.
    stamp timestamptz := clock_timestamp();
BEGIN
    IF event_ids IS NULL THEN
        RAISE EXCEPTION 'event_ids must not be NULL' USING ERRCODE = '22004';
    END IF;
    UPDATE credit_ledger.events
       SET processed_at = stamp, claimed_until = NULL
     WHERE event_id = ANY (event_ids) AND processed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- Deletes events delivered before now - older_than; returns how many.
CREATE FUNCTION @extschema@.credit_events_prune(older_than interval DEFAULT '7 days')
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, credit_ledger, pg_temp
AS $$
DECLARE
    n integer;
    -- A value, not clock_timestamp() in the statement: Citus refuses a
    -- volatile function in an UPDATE or DELETE of a distributed table.
    stamp timestamptz := clock_timestamp();
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be a non-negative interval' USING ERRCODE = '22023';
    END IF;
    DELETE FROM credit_ledger.events
     WHERE processed_at IS NOT NULL AND processed_at < stamp - older_than;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

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
    -- A value, not clock_timestamp() in the statement: Citus refuses a
    -- volatile function in an UPDATE or DELETE of a distributed table.
    stamp timestamptz := clock_timestamp();
BEGIN
    IF event_ids IS NULL OR consumer IS NULL THEN
        RAISE EXCEPTION 'event_ids and consumer must not be NULL' USING ERRCODE = '22004';
    END IF;
    UPDATE credit_ledger.events SET claimed_until = NULL
     WHERE event_id = ANY (event_ids) AND claimed_by = consumer
       AND claimed_until > stamp
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
    -- A value, not clock_timestamp() in the statement: Citus refuses a
    -- volatile function in an UPDATE or DELETE of a distributed table.
    stamp timestamptz := clock_timestamp();
BEGIN
    IF event_ids IS NULL OR consumer IS NULL OR error IS NULL THEN
        RAISE EXCEPTION 'event_ids, consumer and error must not be NULL' USING ERRCODE = '22004';
    END IF;
    UPDATE credit_ledger.events
       SET failed_at = stamp, last_error = left(error, 1000),
           claimed_until = NULL
     WHERE event_id = ANY (event_ids) AND claimed_by = consumer
       AND claimed_until > stamp
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

-- Applies a JSON array of usage events, each with exactly credit_consume's
-- semantics: every event's outcome (idempotency keys included) is what
-- single credit_consume calls in array order would give. An event is a JSON
-- object with exactly these fields (null in an optional one = absent):
--   customer_id      string, required
--   credit_type      string, required
--   amount           required: a number (read exactly from its text) or a
--                    string holding a plain decimal ("2.50")
--   idempotency_key  string
--   feature          string
--   source_id        string
--   occurred_at      string: RFC 3339 with an offset or Z
--                    ("2026-03-01T12:00:00Z"), at most one day after the
--                    ledger's current time
--   metadata         object
--   allow_partial    boolean (1.2): apply only what the balance covers, as
--                    credit_consume's allow_partial
-- Any other field, a value of another type or an element that is not an
-- object gives that event an error row (22023; 22004 for a missing required
-- field); only NULL, a non-array or more than 10,000 events fail the call.
CREATE FUNCTION @extschema@.credit_consume_batch(events jsonb)
RETURNS SETOF credit_ledger.batch_result
    AS 'MODULE_PATHNAME', 'credit_consume_batch'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Prices and usage in product units (1.2). credit_price_set adds a price
-- (never changes one): from effective_at (default now; the past allowed, for
-- usage imported later) one unit of feature burns credits_per_unit (>= 0, up
-- to 18 significant digits and 18 decimals) credits of credit_type, for
-- customer_id only when given (it overrides the general price for that
-- customer). rounding (up, down, half_even) brings a product with more
-- decimals than the credit type's scale to it. Two prices at one instant:
-- the later price_id wins. Returns the price id.
CREATE FUNCTION @extschema@.credit_price_set(
    feature text,
    credit_type text,
    credits_per_unit numeric,
    customer_id text DEFAULT NULL,
    effective_at timestamptz DEFAULT NULL,
    rounding text DEFAULT 'up')
RETURNS bigint
    AS 'MODULE_PATHNAME', 'credit_price_set'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Prices quantity (> 0) with the price in force at occurred_at (the
-- customer's own first, else the general one; LG007 without either) and
-- consumes the credits exactly as credit_consume would, in the credit type
-- the price names, with feature set; every usage entry records quantity,
-- unit_price and price_id. Credits that round to zero write no entry but
-- record the operation (its key replays). A consume operation: it is
-- reversed with credit_reverse like any other.
CREATE FUNCTION @extschema@.credit_report_usage(
    customer_id text,
    feature text,
    quantity numeric,
    idempotency_key text DEFAULT NULL,
    occurred_at timestamptz DEFAULT NULL,
    source_id text DEFAULT NULL,
    metadata jsonb DEFAULT NULL,
    allow_partial boolean DEFAULT false)
RETURNS credit_ledger.operation_result
    AS 'MODULE_PATHNAME', 'credit_report_usage'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Many usage reports in one call, with credit_consume_batch's rules (one
-- row per event, wallets locked in one order, keys decided in array order).
-- An event is a JSON object with exactly these fields:
--   customer_id      string, required
--   feature          string, required
--   quantity         required: a number or a string holding a plain decimal
--   idempotency_key, source_id, occurred_at, metadata, allow_partial
--                    as in credit_consume_batch
CREATE FUNCTION @extschema@.credit_report_usage_batch(events jsonb)
RETURNS SETOF credit_ledger.batch_result
    AS 'MODULE_PATHNAME', 'credit_report_usage_batch'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Holds (1.2): two-phase usage. A hold reserves credits (the available
-- balance drops at once, the ledger does not move); a capture turns them
-- into usage entries on the blocks reserved, even if those lapsed or were
-- voided since, and gives the rest back; a release gives everything back.
-- A hold past expires_at reserves nothing: the next write on its wallet or
-- the sweep marks it expired.
CREATE TYPE credit_ledger.hold_result AS (
    hold_id    bigint,
    amount     numeric,
    balance    numeric,
    expires_at timestamptz,
    replayed   boolean
);

-- Reserves `amount` for at most `timeout` (more than zero, at most 31
-- days); LG001 exactly when a consume of the amount would be refused.
CREATE FUNCTION @extschema@.credit_hold(
    customer_id text,
    credit_type text,
    amount numeric,
    timeout interval DEFAULT '10 minutes',
    idempotency_key text DEFAULT NULL,
    feature text DEFAULT NULL,
    source_id text DEFAULT NULL,
    metadata jsonb DEFAULT NULL)
RETURNS credit_ledger.hold_result
    AS 'MODULE_PATHNAME', 'credit_hold'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Consumes `amount` (default: the held amount) of an active hold and
-- releases the rest; more than the hold draws the excess like a consume
-- (LG001 for the whole capture if the limit does not allow it). feature,
-- source_id and metadata default to the hold's.
CREATE FUNCTION @extschema@.credit_capture(
    customer_id text,
    hold_id bigint,
    amount numeric DEFAULT NULL,
    idempotency_key text DEFAULT NULL,
    feature text DEFAULT NULL,
    source_id text DEFAULT NULL,
    occurred_at timestamptz DEFAULT NULL,
    metadata jsonb DEFAULT NULL)
RETURNS credit_ledger.operation_result
    AS 'MODULE_PATHNAME', 'credit_capture'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Gives an active hold's credits back; returns the amount released. It
-- takes no key: a repeat raises LG006.
CREATE FUNCTION @extschema@.credit_release(
    customer_id text,
    hold_id bigint,
    reason text DEFAULT NULL)
RETURNS numeric
    AS 'MODULE_PATHNAME', 'credit_release'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Recurring grants (1.2): from starts_at (default now) a block of amount
-- starts every `every` until ends_at, computed in time_zone; each expires
-- expire_after after its start (NULL: never); up to rollover_max of what a
-- lapsing block has left moves into a new block. Returns the recurring id.
CREATE FUNCTION @extschema@.credit_recurring_create(
    customer_id text,
    credit_type text,
    amount numeric,
    every interval,
    starts_at timestamptz DEFAULT NULL,
    ends_at timestamptz DEFAULT NULL,
    expire_after interval DEFAULT NULL,
    rollover_max numeric DEFAULT 0,
    promotional boolean DEFAULT false,
    priority integer DEFAULT 50,
    cost_basis numeric DEFAULT NULL,
    time_zone text DEFAULT 'UTC',
    reason text DEFAULT NULL,
    source_id text DEFAULT NULL,
    idempotency_key text DEFAULT NULL)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'credit_recurring_create'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- No period of the schedule starts at or after `at` (default now). It takes
-- no key: a repeat raises LG006, as does canceling a schedule that ended.
CREATE FUNCTION @extschema@.credit_recurring_cancel(
    customer_id text,
    recurring_id bigint,
    at timestamptz DEFAULT NULL)
RETURNS void
    AS 'MODULE_PATHNAME', 'credit_recurring_cancel'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

-- Scale-out on Citus.

-- Run once on the Citus coordinator after CREATE EXTENSION credit_ledger, and
-- again after every citus_add_node (before rebalancing shards onto the new
-- node): it is idempotent. It makes credit_types and prices reference
-- tables, with a copy on every node; distributes the customer
-- tables by customer_id, colocated with wallets and in foreign-key order
-- (wallets first), keeping their append-only triggers on the shards;
-- delegates every customer-scoped function (first argument customer_id,
-- without a default) to the node that holds the customer's shard, with
-- force_delegation for those that write or open the tables directly
-- (LANGUAGE C), so that they run there inside the caller's transaction; and
-- gives every node its own range of every id sequence (group g: ids from
-- (g << 48) + 1 to ((g + 1) << 48) - 1, the coordinator's from 1, as Citus
-- does for bigserial), so ids stay unique across the cluster. A function
-- whose customer argument is missing or defaults to NULL (credit_void,
-- credit_reverse, credit_expire, credit_consume_batch, credit_verify) is not
-- delegated. After the update from 1.1 of a distributed ledger it also
-- moves the 1.1 operations into operation_rows and drops the 1.1 table
-- (below). Returns what it did, one row per object. Runs with its caller's
-- rights: the extension's owner or a superuser (nobody else can execute it).
-- Citus 13.2 crashes the coordinator when a delegated function is called
-- with a NULL constant customer (README, "Scale-out on Citus").
CREATE FUNCTION credit_ledger.citus_distribute()
RETURNS TABLE (object text, action text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reference_tables text[] := ARRAY['credit_types', 'prices'];
    customer_tables text[];
    unsafe_triggers text;
    t text;
    rel regclass;
    method "char";
    replication "char";
    column_name text;
    colocation integer;
    routine regprocedure;
    force boolean;
    arg_index integer;
    routine_colocation integer;
    routine_force boolean;
    failure text;
    moved bigint;
    -- Run on every node: narrows each of the extension's sequences to the
    -- node's range, keeping its position when that is already inside it.
    id_ranges constant text := $do$
DO $ranges$
DECLARE
    g bigint := (SELECT groupid FROM pg_catalog.pg_dist_local_group);
    lo bigint := CASE WHEN g OPERATOR(pg_catalog.=) 0 THEN 1 ELSE (g OPERATOR(pg_catalog.<<) 48) OPERATOR(pg_catalog.+) 1 END;
    hi bigint := ((g OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.<<) 48) OPERATOR(pg_catalog.-) 1;
    s regclass;
    pos bigint;
    propagation text := pg_catalog.current_setting('citus.enable_ddl_propagation');
BEGIN
    -- Each node's own: the coordinator would pass its range on to the workers.
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
    FOR s IN
        SELECT c.oid::pg_catalog.regclass
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_depend d
            ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
          JOIN pg_catalog.pg_extension x
            ON x.oid OPERATOR(pg_catalog.=) d.refobjid AND x.extname OPERATOR(pg_catalog.=) 'credit_ledger'
         WHERE c.relkind OPERATOR(pg_catalog.=) 'S'
         ORDER BY c.relname
    LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_sequence q
                               WHERE q.seqrelid OPERATOR(pg_catalog.=) s
                                 AND q.seqmin OPERATOR(pg_catalog.=) lo
                                 AND q.seqmax OPERATOR(pg_catalog.=) hi);
        EXECUTE pg_catalog.format('SELECT last_value FROM %s', s) INTO pos;
        IF pos OPERATOR(pg_catalog.>=) lo AND pos OPERATOR(pg_catalog.<=) hi THEN
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s', s, lo, hi);
        ELSE
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s START %s RESTART %s',
                                      s, lo, hi, lo, lo);
        END IF;
    END LOOP;
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', propagation, true);
END
$ranges$
$do$;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'citus is not installed in this database'
            USING ERRCODE = '55000',
                  DETAIL = 'credit_ledger.citus_distribute() distributes the ledger with Citus.',
                  HINT = 'Install Citus, add it to shared_preload_libraries, run CREATE EXTENSION citus, add the worker nodes, then run it on the coordinator.';
    END IF;
    IF (SELECT groupid FROM pg_dist_local_group) <> 0 THEN
        RAISE EXCEPTION 'citus_distribute() must run on the coordinator' USING ERRCODE = '55000';
    END IF;
    -- Citus 13.2 crashes the server when a delegated function is called with
    -- a NULL customer; the library's planner hook refuses such a call first,
    -- but only where it is preloaded (src/pg/null_guard.hpp).
    SELECT string_agg(format('%s:%s', n.nodename, n.nodeport), ', ' ORDER BY n.groupid)
      INTO failure
      FROM run_command_on_all_nodes($q$SELECT pg_catalog.current_setting('shared_preload_libraries')$q$) r
      JOIN pg_dist_node n USING (nodeid)
     WHERE NOT r.success
        OR NOT r.result ~ '(^|[,/ ])credit_ledger($|[, ])';
    IF failure IS NOT NULL THEN
        RAISE EXCEPTION 'credit_ledger is not in shared_preload_libraries on every node'
            USING ERRCODE = '55000',
                  DETAIL = 'Not preloaded on ' || failure || '. Citus 13.2 crashes the server when a delegated function is called with a NULL customer; the preloaded library refuses such a call (22004) before Citus plans it.',
                  HINT = 'Set shared_preload_libraries = ''citus,credit_ledger'' on every node, restart them, and run citus_distribute() again.';
    END IF;
    -- The customer tables: every table of the extension with a customer_id
    -- column (but the reference tables), wallets first, then each after the
    -- tables its foreign keys point at.
    WITH RECURSIVE tables AS (
        SELECT c.oid
          FROM pg_class c
          JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype = 'e'
          JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
         WHERE c.relkind = 'r' AND c.relname <> ALL (reference_tables)
           AND EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attname = 'customer_id'
                          AND NOT a.attisdropped)),
    depth (oid, n) AS (
        SELECT oid, 0 FROM tables
        UNION ALL
        SELECT k.conrelid, depth.n + 1
          FROM depth
          JOIN pg_constraint k ON k.confrelid = depth.oid AND k.contype = 'f'
                              AND k.conrelid <> k.confrelid
         WHERE k.conrelid IN (SELECT oid FROM tables) AND depth.n < 32)
    SELECT array_agg(c.relname::text ORDER BY m.n, c.relname <> 'wallets', c.relname)
      INTO customer_tables
      FROM (SELECT oid, max(n) AS n FROM depth GROUP BY oid) m
      JOIN pg_class c ON c.oid = m.oid;
    failure := NULL;

    -- The append-only triggers (of prices, a reference table, and of the
    -- customer tables) must keep firing on the shards.
    unsafe_triggers := current_setting('citus.enable_unsafe_triggers');
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    FOREACH t IN ARRAY reference_tables LOOP
        rel := to_regclass('credit_ledger.' || t);
        CONTINUE WHEN rel IS NULL;
        object := rel::text;
        SELECT p.partmethod, p.repmodel INTO method, replication
          FROM pg_dist_partition p WHERE p.logicalrelid = rel;
        IF NOT FOUND THEN
            PERFORM create_reference_table(rel);
            action := 'reference table';
        ELSIF method = 'n' AND replication = 't' THEN
            action := 'already a reference table';
        ELSE
            RAISE EXCEPTION '% is already a Citus table, not a reference table', rel
                USING ERRCODE = '55000',
                      HINT = 'Undo it with undistribute_table() and run citus_distribute() again.';
        END IF;
        RETURN NEXT;
    END LOOP;
    -- A node added since has no copy of them yet (Citus copies them only
    -- when it next moves shards): the functions there read them locally.
    IF EXISTS (SELECT 1
                 FROM pg_dist_partition p
                 JOIN pg_dist_shard s ON s.logicalrelid = p.logicalrelid
                 CROSS JOIN pg_dist_node n
                WHERE p.logicalrelid::text = ANY (SELECT 'credit_ledger.' || u FROM unnest(reference_tables) u)
                  AND n.isactive AND n.noderole = 'primary'
                  AND NOT EXISTS (SELECT 1 FROM pg_dist_placement pl
                                   WHERE pl.shardid = s.shardid AND pl.groupid = n.groupid)) THEN
        PERFORM replicate_reference_tables('block_writes');
        object := 'reference tables';
        action := 'copied to every node';
        RETURN NEXT;
    END IF;

    FOREACH t IN ARRAY customer_tables LOOP
        rel := to_regclass('credit_ledger.' || t);
        object := rel::text;
        SELECT p.partmethod, column_to_column_name(p.logicalrelid, p.partkey)
          INTO method, column_name
          FROM pg_dist_partition p WHERE p.logicalrelid = rel;
        IF NOT FOUND THEN
            IF t = 'wallets' THEN
                PERFORM create_distributed_table(rel, 'customer_id');
            ELSE
                PERFORM create_distributed_table(rel, 'customer_id',
                                                 colocate_with => 'credit_ledger.wallets');
            END IF;
            action := 'distributed by customer_id';
        ELSIF method = 'h' AND column_name = 'customer_id' THEN
            action := 'already distributed by customer_id';
        ELSE
            RAISE EXCEPTION '% is already a Citus table, not distributed by customer_id', rel
                USING ERRCODE = '55000',
                      HINT = 'Undo it with undistribute_table() and run citus_distribute() again.';
        END IF;
        RETURN NEXT;
    END LOOP;
    PERFORM set_config('citus.enable_unsafe_triggers', unsafe_triggers, true);
    SELECT p.colocationid INTO colocation
      FROM pg_dist_partition p WHERE p.logicalrelid = 'credit_ledger.wallets'::regclass;
    IF EXISTS (SELECT 1 FROM unnest(customer_tables) u
                WHERE (SELECT p.colocationid FROM pg_dist_partition p
                        WHERE p.logicalrelid = ('credit_ledger.' || u)::regclass)
                      IS DISTINCT FROM colocation) THEN
        RAISE EXCEPTION 'the customer tables are not colocated with credit_ledger.wallets'
            USING ERRCODE = '55000',
                  HINT = 'Undo the others with undistribute_table() and run citus_distribute() again.';
    END IF;

    -- The update from 1.1 on a distributed ledger leaves the 1.1 operations
    -- table (credit_ledger.operations_1_1, no longer the extension's) beside
    -- operation_rows, which it could not fill: the rows are on the workers'
    -- shards, and operation_rows was not distributed yet. Now it is,
    -- colocated, so the rows move shard by shard on the workers (their
    -- digests cut to what 1.2 keeps, as the update does on one server), and
    -- the 1.1 table goes.
    rel := to_regclass('credit_ledger.operations_1_1');
    IF rel IS NOT NULL THEN
        object := rel::text;
        IF (SELECT p.colocationid FROM pg_dist_partition p WHERE p.logicalrelid = rel)
           IS DISTINCT FROM colocation THEN
            RAISE EXCEPTION '% is left from the update to 1.2 but not colocated with credit_ledger.wallets', rel
                USING ERRCODE = '55000',
                      HINT = 'Its rows belong in credit_ledger.operation_rows (README, "Upgrades").';
        END IF;
        INSERT INTO credit_ledger.operation_rows
        SELECT o.operation_id, o.customer_id, o.wallet_id, o.credit_type, o.operation_type,
               substr(o.key_hash, 1, 16), substr(o.request_hash, 1, 8), o.amount, o.balance,
               o.grant_id, o.reverses_operation_id, o.first_seq, o.last_seq, o.created_at
          FROM credit_ledger.operations_1_1 o;
        GET DIAGNOSTICS moved = ROW_COUNT;
        DROP TABLE credit_ledger.operations_1_1;
        action := format('%s rows moved to credit_ledger.operation_rows, dropped', moved);
        RETURN NEXT;
    END IF;

    -- Customer-scoped functions run where the customer's shard is.
    FOR routine, force IN
        SELECT p.oid::regprocedure, l.lanname = 'c' OR p.provolatile = 'v'
          FROM pg_proc p
          JOIN pg_language l ON l.oid = p.prolang
          JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                          AND d.deptype = 'e'
          JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
         WHERE p.prokind = 'f' AND p.pronargs - p.pronargdefaults >= 1
           AND p.proargnames[1] = 'customer_id' AND p.proargtypes[0] = 'text'::regtype
         ORDER BY p.proname, p.oid
    LOOP
        object := routine::text;
        SELECT o.distribution_argument_index, o.colocationid, o.force_delegation
          INTO arg_index, routine_colocation, routine_force
          FROM pg_dist_object o
         WHERE o.classid = 'pg_proc'::regclass AND o.objid = routine;
        IF arg_index = 0 AND routine_colocation = colocation
           AND coalesce(routine_force, false) = force THEN
            action := 'already delegated by customer_id';
        ELSE
            PERFORM create_distributed_function(routine, 'customer_id',
                                                colocate_with => 'credit_ledger.wallets',
                                                force_delegation => force);
            action := 'delegated by customer_id';
        END IF;
        IF force THEN
            action := action || ' (force_delegation)';
        END IF;
        RETURN NEXT;
    END LOOP;

    -- Each node its own id range.
    EXECUTE id_ranges;
    SELECT string_agg(format('%s:%s: %s', r.nodename, r.nodeport, r.result), '; ')
      INTO failure
      FROM run_command_on_workers(id_ranges) r
     WHERE NOT r.success;
    IF failure IS NOT NULL THEN
        RAISE EXCEPTION 'could not set the id ranges on every worker'
            USING ERRCODE = '55000', DETAIL = failure,
                  HINT = 'Fix the worker and run citus_distribute() again.';
    END IF;
    FOR object, action IN
        SELECT format('id sequences on group %s (%s:%s)', n.groupid, n.nodename, n.nodeport),
               format('ids %s..%s',
                      CASE WHEN n.groupid = 0 THEN 1 ELSE (n.groupid::bigint << 48) + 1 END,
                      ((n.groupid::bigint + 1) << 48) - 1)
          FROM pg_dist_node n
         WHERE n.isactive AND n.noderole = 'primary'
         ORDER BY n.groupid
    LOOP
        RETURN NEXT;
    END LOOP;
END
$$;

-- Privileges. Nothing is open to PUBLIC: tables, sequences, types' schema
-- and every function are revoked explicitly here, so that default privileges
-- an administrator set before CREATE EXTENSION cannot open them either.
-- credit_ledger.grant_access gives a role the reader or the writer set.
REVOKE ALL ON SCHEMA credit_ledger FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA credit_ledger FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA credit_ledger FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA credit_ledger FROM PUBLIC;
DO $$
DECLARE
    routine regprocedure;
BEGIN
    FOR routine IN
        SELECT p.oid::regprocedure
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_depend d
            ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND d.objid = p.oid AND d.deptype = 'e'
          JOIN pg_catalog.pg_extension x
            ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', routine);
    END LOOP;
END
$$;

-- The reader set: the names of the functions grant_access(role, writer =>
-- false) lets a role call, this one included. Every list of the reader set
-- (grant_access's, the portal's) reads it here.
CREATE FUNCTION credit_ledger.reader_functions()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT ARRAY['credit_balance', 'credit_entries', 'credit_usage',
             'credit_verify', 'ledger_now', 'caught_up_block',
             'caught_up_wallet', 'credit_statement',
             'credit_usage_report', 'credit_revenue', 'report_check',
             'revenue_close', 'revenue_sums', 'reader_functions']::pg_catalog.text[]
$$;
COMMENT ON FUNCTION credit_ledger.reader_functions() IS
    'the names of the functions grant_access(role, writer => false) lets a role call';

-- Gives `role` the reader set (USAGE on the schema, SELECT on its tables and
-- views, the functions reader_functions() names) or, with writer, also the
-- functions that write. Nobody gets INSERT, UPDATE, DELETE or TRUNCATE on
-- the tables: writes go through the functions. Run it as the extension's
-- owner or a superuser.
CREATE FUNCTION credit_ledger.grant_access(role regrole, writer boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    readers text[] := credit_ledger.reader_functions();
    writers text[] := ARRAY['credit_type_create', 'credit_type_update',
                            'credit_wallet_configure', 'credit_auto_topup_configure',
                            'credit_grant', 'credit_grant_confirm', 'credit_grant_cancel',
                            'credit_grant_update',
                            'credit_consume', 'credit_consume_batch',
                            'credit_price_set', 'credit_report_usage',
                            'credit_report_usage_batch',
                            'credit_hold', 'credit_capture', 'credit_release',
                            'credit_recurring_create', 'credit_recurring_cancel',
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

-- Takes everything grant_access gave back from `role`.
CREATE FUNCTION credit_ledger.revoke_access(role regrole)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    routine regprocedure;
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = '22004';
    END IF;
    FOR routine IN
        SELECT p.oid::regprocedure
          FROM pg_proc p
          JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                          AND d.deptype = 'e'
          JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
    LOOP
        EXECUTE format('REVOKE ALL ON ROUTINE %s FROM %s', routine, role);
    END LOOP;
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA credit_ledger FROM %s', role);
    EXECUTE format('REVOKE ALL ON SCHEMA credit_ledger FROM %s', role);
END
$$;
REVOKE ALL ON FUNCTION credit_ledger.grant_access(regrole, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION credit_ledger.revoke_access(regrole) FROM PUBLIC;
REVOKE ALL ON FUNCTION credit_ledger.reader_functions() FROM PUBLIC;
