-- The ledger writes its rows without the executor, so the tables' CHECK
-- constraints are evaluated only when credit_ledger.check_constraints is on
-- (by default in assert and sanitizer builds). Here it is turned on and a
-- superuser adds stricter constraints NOT VALID (existing rows are not
-- checked, new ones are): a direct insert or update that breaks one fails
-- with 23514, as an INSERT or UPDATE would, and writes nothing.
\i test/sql/include/setup.sql
\i test/sql/include/sqlstate_of.sql
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100);
SET credit_ledger.check_constraints = on;
-- A direct insert into grants.
ALTER TABLE credit_ledger.grants ADD CONSTRAINT test_small_grants CHECK (amount < 1000) NOT VALID;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('c', 'usd', 5000)$$);
ALTER TABLE credit_ledger.grants DROP CONSTRAINT test_small_grants;
-- A direct update of a wallet (the grant row itself is allowed).
ALTER TABLE credit_ledger.wallets ADD CONSTRAINT test_small_balance CHECK (balance <= 150) NOT VALID;
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('c', 'usd', 60)$$);
ALTER TABLE credit_ledger.wallets DROP CONSTRAINT test_small_balance;
-- A direct insert into the append-only entries.
ALTER TABLE credit_ledger.entries ADD CONSTRAINT test_no_free CHECK (feature IS DISTINCT FROM 'free') NOT VALID;
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('c', 'usd', 1, feature => 'free')$$);
ALTER TABLE credit_ledger.entries DROP CONSTRAINT test_no_free;
-- A direct update of a grant: the consume below would leave remaining at 50.
ALTER TABLE credit_ledger.grants ADD CONSTRAINT test_keep_half CHECK (remaining > 50) NOT VALID;
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('c', 'usd', 50)$$);
ALTER TABLE credit_ledger.grants DROP CONSTRAINT test_keep_half;
-- None of the failed calls wrote anything: one grant, one entry.
SELECT count(*) AS grants FROM credit_ledger.grants;
SELECT seq, entry_type, amount, balance_after FROM credit_ledger.entries ORDER BY seq;
SELECT credit_balance('c', 'usd');
SELECT * FROM credit_verify();
-- Only a superuser may turn the check off.
CREATE ROLE check_constraints_user;
SET ROLE check_constraints_user;
SELECT pg_temp.sqlstate_of($$SET credit_ledger.check_constraints = off$$);
RESET ROLE;
DROP ROLE check_constraints_user;
DROP EXTENSION credit_ledger;
