-- The edges of the 18-digit range: a limited wallet refuses with LG001 even
-- where the debt would also leave the range (found by fuzz/drawdown_fuzz).
\i test/sql/setup.sql
SELECT credit_type_create('cr');

CREATE FUNCTION pg_temp.sqlstate_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- The largest overdraft limit, a debt just under it: one more consume is
-- refused by the policy (LG001), not reported as out of range (22003).
SELECT credit_wallet_configure('edge', 'cr', overdraft_limit => 999999999999999999);
SELECT amount, balance FROM credit_consume('edge', 'cr', 999999999999999990);
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('edge', 'cr', 20)$$);
-- A limit lowered to a hard limit below the debt refuses the same way.
SELECT credit_wallet_configure('edge', 'cr', overdraft_limit => 0);
SELECT pg_temp.sqlstate_of($$SELECT credit_consume('edge', 'cr', 999999999999999999)$$);

SELECT * FROM credit_verify();

DROP EXTENSION credit_ledger;
