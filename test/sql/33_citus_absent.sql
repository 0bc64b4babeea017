-- credit_ledger.citus_distribute() on a server without Citus: it refuses
-- with 55000 and says why. (What it does on a Citus
-- cluster is tested by scripts/test_citus.sh, against a coordinator and two
-- workers.)
CREATE EXTENSION credit_ledger;
SELECT * FROM credit_ledger.citus_distribute();
\echo :LAST_ERROR_SQLSTATE
-- Nobody but the extension's owner (and superusers) may run it, even with
-- the schema open to them.
CREATE ROLE citus_absent_user;
GRANT USAGE ON SCHEMA credit_ledger TO citus_absent_user;
SET ROLE citus_absent_user;
SELECT * FROM credit_ledger.citus_distribute();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE USAGE ON SCHEMA credit_ledger FROM citus_absent_user;
DROP ROLE citus_absent_user;
DROP EXTENSION credit_ledger;
