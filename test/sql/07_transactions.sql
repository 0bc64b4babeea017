-- A deduction commits or rolls back with the caller's own transaction: a
-- rolled-back transaction or savepoint leaves no trace (no entry, no grant
-- change, no operation, no key), and a business write and the consume commit
-- together.
\i test/sql/include/setup.sql
SET client_min_messages = notice;
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100);
CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric);

CREATE TEMP VIEW state AS
SELECT (SELECT count(*) FROM credit_ledger.entries) AS entries,
       (SELECT count(*) FROM credit_ledger.operations) AS operations,
       (SELECT balance FROM credit_ledger.wallets WHERE customer_id = 'c') AS wallet_balance,
       (SELECT last_seq FROM credit_ledger.wallets WHERE customer_id = 'c') AS last_seq,
       (SELECT remaining FROM credit_ledger.grants WHERE customer_id = 'c') AS remaining,
       (SELECT count(*) FROM orders) AS orders;
SELECT * FROM state;

-- Rolled back: the order and the consume vanish together, key included.
BEGIN;
INSERT INTO orders VALUES (1, 'c', 30);
SELECT * FROM credit_consume('c', 'usd', 30, idempotency_key => 'order-1');
SELECT credit_balance('c', 'usd');
ROLLBACK;
SELECT * FROM state;

-- Committed: both are there; the retry of the rolled-back key now applies.
BEGIN;
INSERT INTO orders VALUES (1, 'c', 30);
SELECT * FROM credit_consume('c', 'usd', 30, idempotency_key => 'order-1');
COMMIT;
SELECT * FROM state;

-- A rolled-back savepoint undoes only its consume; seq stays gapless.
BEGIN;
SELECT * FROM credit_consume('c', 'usd', 1, idempotency_key => 'a');
SAVEPOINT s;
SELECT * FROM credit_consume('c', 'usd', 2, idempotency_key => 'b');
ROLLBACK TO SAVEPOINT s;
SELECT * FROM credit_consume('c', 'usd', 4, idempotency_key => 'c');
COMMIT;
SELECT seq, amount, balance_after FROM credit_ledger.entries ORDER BY seq;
SELECT * FROM state;
SELECT * FROM credit_consume('c', 'usd', 2, idempotency_key => 'b');

-- A failed consume inside a transaction aborts it; a business rule in the
-- caller can also undo a successful consume by raising.
BEGIN;
SELECT * FROM credit_consume('c', 'usd', 1000);
SELECT * FROM credit_consume('c', 'usd', 1);
ROLLBACK;
DO $$
BEGIN
  PERFORM credit_consume('c', 'usd', 10);
  RAISE EXCEPTION 'order rejected after charging';
EXCEPTION WHEN raise_exception THEN
  RAISE NOTICE 'caught: %', SQLERRM;
END $$;
SELECT * FROM state;

-- PL/pgSQL can catch the ledger's errors by SQLSTATE and carry on.
DO $$
BEGIN
  PERFORM credit_consume('c', 'usd', 1000);
EXCEPTION WHEN SQLSTATE 'LG001' THEN
  RAISE NOTICE 'insufficient: %', SQLERRM;
END $$;
SELECT * FROM credit_consume('c', 'usd', 1);

SELECT * FROM credit_verify();
DROP VIEW state;
DROP TABLE orders;
DROP EXTENSION credit_ledger;
