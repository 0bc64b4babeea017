-- bench/bytes_wall.sql: the wall of the bytes-per-event target without a key
-- (bench/run.sh, section bytes). The usage entries of customer :'cust' (the
-- no-key consumes just measured) copied, in seq order, into the tightest
-- layout of the same contract: every column credit_ledger.entries keeps
-- except credit_type (implied by wallet_id), entry_type as a one-byte
-- "char" instead of text, the fixed-width columns first so no padding falls
-- between them, and the same three indexes on the same columns (the primary
-- key, entries_usage_idx, the BRIN; entries_key_idx takes no entry without
-- a key). Prints bytes per entry (tables and indexes) and the row's
-- pg_column_size. What is left is the heap tuple's header, the values no
-- usage entry can do without and the index entries the contract's lookups
-- need: a schema change can save no more than the difference.

\set ON_ERROR_STOP 1
CREATE SCHEMA wall;
CREATE TABLE wall.entries (
    entry_id      bigint NOT NULL,
    wallet_id     bigint NOT NULL,
    seq           bigint NOT NULL,
    operation_id  bigint NOT NULL,
    grant_id      bigint,
    price_id      bigint,
    occurred_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    entry_type    "char" NOT NULL,
    promotional   boolean,
    standalone    boolean,
    customer_id   text NOT NULL,
    amount        numeric NOT NULL,
    value         numeric,
    balance_after numeric NOT NULL,
    hash          bytea NOT NULL,
    feature       text,
    source_id     text,
    reason        text,
    actor         text,
    metadata      jsonb,
    quantity      numeric,
    unit_price    numeric,
    key_hash      bytea,
    request_hash  bytea,
    CONSTRAINT entries_pkey PRIMARY KEY (wallet_id, seq, customer_id)
);
CREATE INDEX entries_usage_idx ON wall.entries (customer_id, occurred_at) WHERE entry_type IN ('u', 'r');
CREATE INDEX entries_time_idx ON wall.entries USING brin (occurred_at, created_at, operation_id)
    WITH (autosummarize = on)
    WHERE entry_type IN ('u', 'r') OR value IS NOT NULL;
CREATE UNIQUE INDEX entries_key_idx ON wall.entries (customer_id, key_hash) WHERE key_hash IS NOT NULL;

INSERT INTO wall.entries
SELECT entry_id, wallet_id, seq, operation_id, grant_id, price_id, occurred_at, created_at, 'u', promotional,
       standalone, customer_id, amount, value, balance_after, hash, feature, source_id, reason, actor,
       metadata, quantity, unit_price, key_hash, request_hash
  FROM credit_ledger.entries
 WHERE customer_id = :'cust' AND entry_type = 'usage'
 ORDER BY seq;

SELECT round((pg_table_size('wall.entries') + pg_indexes_size('wall.entries'))::numeric / count(*)),
       round(pg_table_size('wall.entries')::numeric / count(*)),
       round(pg_indexes_size('wall.entries')::numeric / count(*)),
       round(avg(pg_column_size(w.*)))
  FROM wall.entries w;
DROP SCHEMA wall CASCADE;
