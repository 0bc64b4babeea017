-- bench/floor.sql: the tables of the benchmark's floor, the cheapest
-- possible write of one usage event, against which credit_consume is
-- measured (bench/run.sh loads it after CREATE EXTENSION credit_ledger).
--
-- Schema `floor` copies credit_ledger's own tables (LIKE ... INCLUDING ALL,
-- plus their fillfactor), so the floor writes rows of the same width into
-- the same indexes as the extension does, and follows the extension's schema
-- as it changes. Schema `floor_min` is the minimal pair (an integer-keyed
-- counter row and a three-column entry row), reported for reference only:
-- it measures PostgreSQL, not the ledger's storage contract.
--
-- The floor scripts (bench/pgbench/floor_*.sql) do no reads, no checks, no
-- hashing: UPDATE the wallet row, INSERT the entry row (and, for the
-- "write set" variant, also UPDATE the grant, the entry carrying the key's
-- digests as a standalone entry does).

\set ON_ERROR_STOP 1

CREATE SCHEMA floor;
DO $$
DECLARE
    t text;
    opts text[];
BEGIN
    -- credit_ledger.operations is a view (1.2): the floor's copies
    -- operation_rows, which a one-entry consume does not write.
    FOREACH t IN ARRAY ARRAY['wallets', 'grants', 'operation_rows', 'entries'] LOOP
        EXECUTE format('CREATE TABLE floor.%I (LIKE credit_ledger.%I INCLUDING ALL)', t, t);
        SELECT reloptions INTO opts FROM pg_class WHERE oid = format('credit_ledger.%I', t)::regclass;
        IF opts IS NOT NULL THEN
            EXECUTE format('ALTER TABLE floor.%I SET (%s)', t, array_to_string(opts, ', '));
        END IF;
    END LOOP;
END $$;
-- Own sequences (the copied defaults would draw on the extension's).
ALTER TABLE floor.wallets ALTER COLUMN wallet_id DROP DEFAULT;
CREATE SEQUENCE floor.operation_id_seq;
CREATE SEQUENCE floor.entry_id_seq;

CREATE SCHEMA floor_min;
CREATE TABLE floor_min.wallets (wallet_id integer PRIMARY KEY, balance bigint NOT NULL)
    WITH (fillfactor = 70);
CREATE TABLE floor_min.entries (entry_id bigserial PRIMARY KEY, wallet_id integer NOT NULL,
                                amount bigint NOT NULL);

-- Wallets c1..cN with one large grant each, as bench/setup.sql gives the
-- extension and the baseline.
CREATE FUNCTION floor.load(n integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO floor.wallets (wallet_id, customer_id, credit_type, balance, overdraft_limit,
                               last_seq, created_at, updated_at)
    SELECT i, 'c' || i, 'usd', 1000000000.00, 0, 1, now(), now()
      FROM generate_series(1, n) i;
    INSERT INTO floor.grants (grant_id, wallet_id, customer_id, credit_type, amount, remaining,
                              promotional, priority, cost_basis, effective_at, expires_at,
                              expired_amount, voided_amount, kind, operation_id, created_at, open)
    SELECT i, i, 'c' || i, 'usd', 1000000000.00, 1000000000.00, false, 50, 0.01, now(),
           now() + interval '10 years', 0.00, 0.00, 'grant', 0, now(), true
      FROM generate_series(1, n) i;
    INSERT INTO floor_min.wallets SELECT i, 100000000000 FROM generate_series(1, n) i;
    ANALYZE floor.wallets, floor.grants, floor_min.wallets;
$$;
