-- The edges of the 18-digit range: a limited wallet refuses with LG001 even
-- where the debt would also leave the range (found by fuzz/drawdown_fuzz),
-- and an operation whose result fits the range does not fail on the way.
\i test/sql/include/setup.sql
SELECT credit_type_create('cr');

\i test/sql/include/sqlstate_of.sql

-- The largest overdraft limit, a debt just under it: one more consume is
-- refused by the policy (LG001), not reported as out of range (22003).
SELECT credit_wallet_configure('edge', 'cr', overdraft_limit => 999999999999999999);
SELECT amount, balance FROM credit_consume('edge', 'cr', 999999999999999990);
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('edge', 'cr', 20)$$);
-- A limit lowered to a hard limit below the debt refuses the same way.
SELECT credit_wallet_configure('edge', 'cr', overdraft_limit => 0);
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('edge', 'cr', 999999999999999999)$$);

-- A debt of 10 and a scheduled grant of 100 (1.2: not in the ledger until
-- it starts): a grant near the top of the range repays the debt. Its
-- repayment entries stay within the range (the grant is charged before the
-- debt is cleared).
SELECT credit_wallet_configure('fill', 'cr', overdraft_limit => NULL);
SELECT credit_grant('fill', 'cr', 100, effective_at => '2100-01-01') AS scheduled;
SELECT amount, balance FROM credit_consume('fill', 'cr', 10);
SELECT pg_temp.sqlstate_of($$SELECT credit_grant('fill', 'cr', 999999999999999909)$$);
SELECT balance, debt FROM credit_ledger.wallets WHERE customer_id = 'fill';
SELECT seq, entry_type, amount, balance_after, grant_id IS NOT NULL AS on_grant
  FROM credit_ledger.entries WHERE customer_id = 'fill' ORDER BY seq;
SELECT * FROM credit_verify();

-- A wallet row edited by hand to the end of the seq range: writes refuse
-- with XX000 instead of overflowing the next seq, and credit_verify says so.
UPDATE credit_ledger.wallets SET last_seq = 9223372036854775807 WHERE customer_id = 'fill';
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('fill', 'cr', 1)$$);
SELECT customer_id, problem FROM credit_verify();

DROP EXTENSION credit_ledger;
