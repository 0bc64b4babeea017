-- Privileges: nothing is open to PUBLIC; credit_ledger.grant_access gives a
-- role the reader set or the writer set; nobody may write the tables
-- directly (42501), whatever default privileges were set beforehand; the
-- extension is not trusted.
\i test/sql/include/pgtap_setup.sql
SELECT plan(53);

-- Default privileges an administrator set before CREATE EXTENSION must not
-- open the new tables and functions.
DROP EXTENSION credit_ledger;
ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
CREATE EXTENSION credit_ledger;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON SEQUENCES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;

\o /dev/null
SELECT credit_type_create('usd', 2);
SELECT credit_grant('c', 'usd', 100);
\o

SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'credit_ledger' AND c.relkind IN ('r', 'v', 'S')
              AND (has_table_privilege('public', c.oid, 'SELECT')
                   OR has_table_privilege('public', c.oid, 'INSERT'))),
          0::bigint, 'no table, view or sequence is open to PUBLIC');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
            JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
           WHERE has_function_privilege('public', p.oid, 'EXECUTE')),
          0::bigint, 'no function of the extension is executable by PUBLIC');
SELECT ok(NOT has_schema_privilege('public', 'credit_ledger', 'USAGE'),
          'PUBLIC cannot even look into schema credit_ledger');
SELECT ok(NOT (SELECT trusted FROM pg_available_extension_versions
                WHERE name = 'credit_ledger' AND version = '1.1'),
          'the extension is not trusted');

CREATE ROLE cl_nobody;
CREATE ROLE cl_reader;
CREATE ROLE cl_writer;
SELECT lives_ok($$SELECT credit_ledger.grant_access('cl_reader', writer => false)$$, 'grant the reader set');
SELECT lives_ok($$SELECT credit_ledger.grant_access('cl_writer')$$, 'grant the writer set');
-- The reader set is one list, credit_ledger.reader_functions() (the portal
-- reads it too): a reader may call exactly the functions it names.
SELECT is((SELECT array_agg(DISTINCT p.proname::text ORDER BY p.proname::text)
             FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
             JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'
            WHERE has_function_privilege('cl_reader', p.oid, 'EXECUTE')),
          (SELECT array_agg(n ORDER BY n) FROM unnest(credit_ledger.reader_functions()) n),
          'a reader may call exactly the functions reader_functions() names');

-- A role nobody granted anything.
SET ROLE cl_nobody;
SELECT throws_ok($$SELECT credit_balance('c', 'usd')$$, '42501', NULL, 'nobody: no balance');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 1)$$, '42501', NULL, 'nobody: no consume');
SELECT throws_ok($$SELECT credit_release('c', 1)$$, '42501', NULL, 'nobody: no release');
SELECT throws_ok($$SELECT * FROM credit_ledger.entries$$, '42501', NULL, 'nobody: no reading the ledger');
SELECT throws_ok($$SELECT credit_ledger.grant_access('cl_nobody')$$, '42501', NULL, 'nobody: cannot grant itself access');
RESET ROLE;

-- The reader set: read everything, write nothing.
SET ROLE cl_reader;
SELECT is(credit_balance('c', 'usd'), 100.00, 'reader: balance');
SELECT is((SELECT count(*) FROM credit_ledger.entries), 1::bigint, 'reader: entries');
SELECT is((SELECT status FROM credit_ledger.grant_status), 'active', 'reader: views');
SELECT is((SELECT count(*) FROM credit_entries('c', 'usd')), 1::bigint, 'reader: history');
SELECT is_empty($$SELECT * FROM credit_verify()$$, 'reader: verify');
SELECT is((SELECT closing_balance FROM credit_statement('c', 'usd', '2026-01-01', '2027-01-01')), 100.00, 'reader: statement');
SELECT is((SELECT count(*) FROM credit_usage_report('2026-01-01', '2027-01-01')), 0::bigint, 'reader: usage report');
SELECT is((SELECT count(*) FROM credit_revenue('2026-01-01', '2027-01-01')), 0::bigint, 'reader: revenue');
SELECT ok('credit_verify' = ANY (credit_ledger.reader_functions()), 'reader: the reader set');
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 1)$$, '42501', NULL, 'reader: no consume');
SELECT throws_ok($$SELECT credit_hold('c', 'usd', 1)$$, '42501', NULL, 'reader: no hold');
SELECT is((SELECT count(*) FROM credit_ledger.holds), 0::bigint, 'reader: holds table');
SELECT is((SELECT count(*) FROM credit_ledger.prices), 0::bigint, 'reader: prices table');
SELECT throws_ok($$SELECT credit_price_set('chat', 'usd', 1)$$, '42501', NULL, 'reader: no price_set');
SELECT throws_ok($$SELECT credit_report_usage('c', 'chat', 1)$$, '42501', NULL, 'reader: no report_usage');
SELECT throws_ok($$SELECT credit_grant('c', 'usd', 1)$$, '42501', NULL, 'reader: no grant');
SELECT throws_ok($$SELECT * FROM credit_events_claim(1, 'r')$$, '42501', NULL, 'reader: no event claims');
SELECT throws_ok($$UPDATE credit_ledger.wallets SET balance = 1000000$$, '42501', NULL, 'reader: no UPDATE');
RESET ROLE;

-- The writer set: the functions, but never the tables directly.
SET ROLE cl_writer;
SELECT is((SELECT amount FROM credit_consume('c', 'usd', 1)), 1.00, 'writer: consume');
SELECT is((SELECT count(*) FROM credit_consume_batch('[{"customer_id": "c", "credit_type": "usd", "amount": 1}]')),
          1::bigint, 'writer: batch');
SELECT lives_ok($$SELECT credit_grant('c', 'usd', 5)$$, 'writer: grant');
SELECT is((SELECT amount FROM credit_capture('c', (SELECT hold_id FROM credit_hold('c', 'usd', 2)), 1)),
          1.00, 'writer: hold and capture');
SELECT is(credit_release('c', (SELECT hold_id FROM credit_hold('c', 'usd', 2))), 2.00, 'writer: release');
SELECT throws_ok($$UPDATE credit_ledger.holds SET status = 'released'$$, '42501', NULL, 'writer: no UPDATE of holds');
SELECT lives_ok($$SELECT credit_price_set('chat', 'usd', 0.5)$$, 'writer: price_set');
SELECT is((SELECT amount FROM credit_report_usage('c', 'chat', 2)), 1.00, 'writer: report_usage');
SELECT is((SELECT status FROM credit_report_usage_batch('[{"customer_id": "c", "feature": "chat", "quantity": 2}]')),
          'applied', 'writer: report_usage_batch');
SELECT throws_ok($$UPDATE credit_ledger.prices SET credits_per_unit = 0$$, '42501', NULL, 'writer: no UPDATE of prices');
SELECT lives_ok($$SELECT * FROM credit_events_claim(10, 'w')$$, 'writer: relay functions');
SELECT throws_ok($$INSERT INTO credit_ledger.entries (entry_id) VALUES (1)$$, '42501', NULL, 'writer: no INSERT into entries');
SELECT throws_ok($$INSERT INTO credit_ledger.grants (grant_id) VALUES (1)$$, '42501', NULL, 'writer: no INSERT into grants');
SELECT throws_ok($$UPDATE credit_ledger.wallets SET balance = 1000000$$, '42501', NULL, 'writer: no UPDATE of wallets');
SELECT throws_ok($$UPDATE credit_ledger.grants SET remaining = 1000000$$, '42501', NULL, 'writer: no UPDATE of grants');
SELECT throws_ok($$DELETE FROM credit_ledger.operation_rows$$, '42501', NULL, 'writer: no DELETE');
SELECT throws_ok($$TRUNCATE credit_ledger.events$$, '42501', NULL, 'writer: no TRUNCATE');
SELECT throws_ok($$SELECT nextval('credit_ledger.entry_id_seq')$$, '42501', NULL, 'writer: no sequence');
SELECT throws_ok($$SELECT credit_ledger.revoke_access('cl_reader')$$, '42501', NULL, 'writer: cannot change access');
RESET ROLE;

-- Taking access away again.
SELECT lives_ok($$SELECT credit_ledger.revoke_access('cl_writer')$$, 'revoke the writer');
SET ROLE cl_writer;
SELECT throws_ok($$SELECT credit_consume('c', 'usd', 1)$$, '42501', NULL, 'revoked: no consume');
SELECT throws_ok($$SELECT credit_balance('c', 'usd')$$, '42501', NULL, 'revoked: no balance');
RESET ROLE;
SELECT is_empty($$SELECT * FROM credit_verify()$$, 'the ledger verifies');

SELECT * FROM finish();

-- Not trusted: in a database without it, a non-superuser cannot create it.
\set VERBOSITY sqlstate
\pset tuples_only false
CREATE DATABASE cl_untrusted;
\c cl_untrusted
SET ROLE cl_nobody;
\echo 'CREATE EXTENSION as a non-superuser (42501 expected):'
CREATE EXTENSION credit_ledger;
RESET ROLE;
\c contrib_regression
DROP DATABASE cl_untrusted;
\set VERBOSITY default
SELECT credit_ledger.revoke_access(r) FROM unnest(ARRAY['cl_reader'::regrole]) r \g /dev/null
DROP EXTENSION credit_ledger;
DROP ROLE cl_nobody;
DROP ROLE cl_reader;
DROP ROLE cl_writer;
