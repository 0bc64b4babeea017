\echo Use "CREATE EXTENSION credit_ledger" to load this file. \quit

-- credit_ledger 1.0: credit types, wallets, grants (credit blocks), operations
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
    credit_type   text PRIMARY KEY,
    scale         integer NOT NULL CHECK (scale BETWEEN 0 AND 9),
    unit_singular text,
    unit_plural   text,
    description   text,
    created_at    timestamptz NOT NULL
);
COMMENT ON TABLE credit_ledger.credit_types IS
    'currencies of credits ("usd", "ai_tokens"); scale is the number of decimal places';

CREATE SEQUENCE credit_ledger.wallet_id_seq;
CREATE SEQUENCE credit_ledger.grant_id_seq;
CREATE SEQUENCE credit_ledger.operation_id_seq;
CREATE SEQUENCE credit_ledger.entry_id_seq;

-- One pool per (customer_id, credit_type). balance is the ledger balance (the
-- sum of all entries); debt is the overdraft debt; last_seq and last_hash are
-- the head of the wallet's entry chain. Updated under the row lock by every
-- operation, so nothing in it is indexed except its keys (HOT updates).
CREATE TABLE credit_ledger.wallets (
    wallet_id              bigint NOT NULL DEFAULT nextval('credit_ledger.wallet_id_seq'),
    customer_id            text NOT NULL,
    credit_type            text NOT NULL,
    balance                numeric NOT NULL DEFAULT 0,
    overdraft_limit        numeric DEFAULT 0 CHECK (overdraft_limit >= 0),
    low_balance_thresholds numeric[] NOT NULL DEFAULT '{}',
    debt                   numeric NOT NULL DEFAULT 0 CHECK (debt >= 0),
    last_seq               bigint NOT NULL DEFAULT 0,
    last_hash              bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000',
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    PRIMARY KEY (wallet_id, customer_id),
    UNIQUE (customer_id, credit_type)
) WITH (fillfactor = 70);
COMMENT ON TABLE credit_ledger.wallets IS
    'one credit pool per customer and credit type; overdraft_limit NULL = unlimited, 0 = hard limit';

-- Credit blocks. open = remaining > 0 and neither voided nor expired by the
-- sweep; it changes rarely, so the partial indexes on it stay small and the
-- frequent updates of remaining stay HOT. kind says what created the block: a
-- grant, a positive adjustment, or a reversal restoring overdraft usage that
-- later grants had already repaid. expired_amount and voided_amount are the
-- credits its expiration and void entries removed.
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
    kind         text NOT NULL CHECK (kind IN ('grant', 'adjustment', 'reversal')),
    operation_id bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    open         boolean NOT NULL,
    PRIMARY KEY (grant_id, customer_id),
    FOREIGN KEY (wallet_id, customer_id)
        REFERENCES credit_ledger.wallets (wallet_id, customer_id),
    CHECK (remaining >= 0 AND remaining <= amount),
    CHECK (expires_at > effective_at),
    CHECK (open = (remaining > 0 AND voided_at IS NULL AND expired_at IS NULL))
) WITH (fillfactor = 80);
CREATE INDEX grants_open_idx ON credit_ledger.grants (wallet_id) WHERE open;
CREATE INDEX grants_expiry_idx ON credit_ledger.grants (expires_at, grant_id)
    WHERE open AND expires_at IS NOT NULL;
COMMENT ON TABLE credit_ledger.grants IS
    'credit blocks; spendable while effective_at <= now < expires_at and remaining > 0';

-- One row per call that changed a wallet. The idempotency key is kept forever
-- as a SHA-256 digest (a btree cannot index long text) next to a digest of
-- the request's parameters; its result is what a replay returns.
CREATE TABLE credit_ledger.operations (
    operation_id          bigint NOT NULL,
    customer_id           text NOT NULL,
    wallet_id             bigint NOT NULL,
    credit_type           text NOT NULL,
    operation_type        text NOT NULL
        CHECK (operation_type IN ('grant', 'consume', 'adjust', 'void', 'reverse', 'expire')),
    idempotency_key       text,
    key_hash              bytea,
    request_hash          bytea,
    amount                numeric,
    balance               numeric,
    grant_id              bigint,
    reverses_operation_id bigint,
    first_seq             bigint NOT NULL,
    last_seq              bigint NOT NULL,
    created_at            timestamptz NOT NULL,
    PRIMARY KEY (operation_id, customer_id)
);
CREATE UNIQUE INDEX operations_key_idx ON credit_ledger.operations (customer_id, key_hash)
    WHERE key_hash IS NOT NULL;
CREATE INDEX operations_reverses_idx ON credit_ledger.operations (customer_id, reverses_operation_id)
    WHERE reverses_operation_id IS NOT NULL;
COMMENT ON TABLE credit_ledger.operations IS
    'one row per operation; entries first_seq..last_seq of the wallet belong to it';

-- The ledger. Append-only: every movement of credits is one row linked to the
-- grant it touched, with a per-wallet gapless seq, the wallet's balance after
-- it, and a SHA-256 hash chained to the previous entry of the wallet.
CREATE TABLE credit_ledger.entries (
    entry_id      bigint NOT NULL,
    wallet_id     bigint NOT NULL,
    customer_id   text NOT NULL,
    credit_type   text NOT NULL,
    seq           bigint NOT NULL,
    entry_type    text NOT NULL
        CHECK (entry_type IN ('grant', 'usage', 'adjustment', 'reversal', 'expiration', 'void', 'repayment')),
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
    PRIMARY KEY (entry_id, customer_id),
    UNIQUE (wallet_id, seq, customer_id)
);
COMMENT ON TABLE credit_ledger.entries IS
    'append-only ledger: amount is signed, value = amount x the grant''s cost basis';

-- Append-only guards: they fire for every role, the owner included. COPY
-- (pg_restore) inserts, which they allow.
CREATE FUNCTION credit_ledger.append_only() RETURNS trigger
    AS 'MODULE_PATHNAME', 'credit_ledger_append_only' LANGUAGE C;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON credit_ledger.entries
    FOR EACH ROW EXECUTE FUNCTION credit_ledger.append_only();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON credit_ledger.entries
    FOR EACH STATEMENT EXECUTE FUNCTION credit_ledger.append_only();
CREATE TRIGGER operations_append_only BEFORE UPDATE OR DELETE ON credit_ledger.operations
    FOR EACH ROW EXECUTE FUNCTION credit_ledger.append_only();
CREATE TRIGGER operations_no_truncate BEFORE TRUNCATE ON credit_ledger.operations
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
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.operations', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.entries', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.wallet_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.grant_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.operation_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('credit_ledger.entry_id_seq', '');

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
    description text DEFAULT NULL)
RETURNS void
    AS 'MODULE_PATHNAME', 'credit_type_create'
    LANGUAGE C VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, credit_ledger, pg_temp;

CREATE FUNCTION @extschema@.credit_wallet_configure(
    customer_id text,
    credit_type text,
    overdraft_limit numeric DEFAULT 0,
    low_balance_thresholds numeric[] DEFAULT '{}')
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
    metadata jsonb DEFAULT NULL)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'credit_grant'
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
    metadata jsonb DEFAULT NULL)
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
