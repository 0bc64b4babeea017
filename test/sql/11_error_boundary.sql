-- The C++/PostgreSQL error boundary: PostgreSQL's own errors raised inside
-- the extension keep their SQLSTATE, detail and context; the ledger's errors
-- carry theirs; after any error the session and the backend stay usable.
\i test/sql/include/setup.sql
\set VERBOSITY default
SELECT credit_type_create('usd', 2);

\i test/sql/include/sqlstate_of.sql

-- A unique violation raised by SPI inside the extension passes through as
-- 23505 with PostgreSQL's own detail.
SELECT credit_type_create('usd', 2);
SELECT pg_temp.sqlstate_of($$SELECT credit_type_create('usd', 2)$$);

-- A statement timeout inside the extension's own loops (here verifying 2,000
-- entries) surfaces as 57014 and leaves the session usable.
SELECT count(credit_grant('big', 'usd', 1)) FROM generate_series(1, 2000);
SELECT amount FROM credit_consume('big', 'usd', 2000);
-- (PL/pgSQL cannot catch a cancel, so the SQLSTATE is shown by psql; where
-- in the loop the timer fires varies, so the context is not.)
\set VERBOSITY sqlstate
SET statement_timeout = '1ms';
SELECT count(*) FROM credit_verify('big');
RESET statement_timeout;
\set VERBOSITY default
SELECT count(*) FROM credit_verify('big');
SELECT credit_grant('c', 'usd', 100);

-- Lock timeout while another session holds the wallet: 55P03 (see the
-- isolation specs for the concurrent cases). Here: a NOWAIT-style lock_timeout
-- on our own lock is not a conflict, so it succeeds.
BEGIN;
SET LOCAL lock_timeout = '10ms';
SELECT * FROM credit_consume('c', 'usd', 1);
COMMIT;

-- Ledger errors in a loop of subtransactions: each is caught, nothing leaks,
-- the backend keeps working.
SET client_min_messages = notice;
DO $$
DECLARE n int := 0;
BEGIN
  FOR i IN 1..500 LOOP
    BEGIN
      PERFORM credit_consume('c', 'usd', 1000000);
    EXCEPTION WHEN SQLSTATE 'LG001' THEN n := n + 1;
    END;
    BEGIN
      PERFORM credit_consume('c', 'usd', 'NaN');
    EXCEPTION WHEN SQLSTATE '22023' THEN n := n + 1;
    END;
    BEGIN
      PERFORM credit_type_create('usd');
    EXCEPTION WHEN unique_violation THEN n := n + 1;
    END;
  END LOOP;
  RAISE NOTICE 'caught % errors', n;
END $$;
SET client_min_messages = warning;
SELECT * FROM credit_consume('c', 'usd', 1);

-- A function returning a record called where no record is accepted.
SELECT pg_temp.sqlstate_of($$SELECT credit_ledger.append_only()$$);

-- A message longer than the error boundary's buffer (1023 bytes) is cut at a
-- character boundary, so it stays valid UTF-8: it was cut inside a '€', and
-- converting the stored SQLERRM failed with "invalid byte sequence".
CREATE TEMP TABLE long_message AS
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('c', repeat('€', 400), 1)$$) AS m;
SELECT left(m, 40) AS message, octet_length(m) < 1100 AS cut,
       convert_to(m, 'UTF8') IS NOT NULL AS valid
  FROM long_message;

SELECT * FROM credit_verify();
DROP EXTENSION credit_ledger;
